"""Camera takes and live tracking in: recorded takes (OpenTrackIO, .chan, glTF) and tracker
streams (FreeD, OpenTrackIO over UDP) become ordinary shots and keys (see DESIGN.md)."""
