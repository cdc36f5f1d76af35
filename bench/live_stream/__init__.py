"""``python -m bench.live_stream``: the bytes the phone's live stream sends over an hour of the demo, as sent
(patches, gzip) next to whole pictures every time (the stream before issue 13), measured in the same run;
and what that makes a day with the app open (docs/webapp.md)."""
