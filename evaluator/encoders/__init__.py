"""Encoders: functions and small classes that turn media into feature vectors (prosody, faces, ...)."""
