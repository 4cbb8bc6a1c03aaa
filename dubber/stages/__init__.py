"""The dub's stages: functions with explicit inputs and outputs over the line record.

In order (:meth:`dubber.pipeline.Dubber.run` calls them; batch and distributed runs call them per item):

1. :mod:`.episode`: check the inputs, open the project, one line record per script cue;
2. :mod:`.speakers`: each speaker's reference clip from the original audio;
3. :mod:`.scene`: scene reading (chain of thought) per line;
4. :mod:`.retrieve`: emotionally similar footage and voice prompts per line;
5. :mod:`.plan`: room, seed, voice, video span and input hash per line; reuse of unchanged lines;
6. :mod:`.render`: takes in two batched passes (natural pace, planned duration), candidates and scores;
   :mod:`.fit` places each take in its slot;
7. :mod:`.mix`: the dialogue stem, the mix, the muxed video and the subtitles.
"""
