"""Local HTTP servers that answer as the remote video providers' APIs do, with a switch for
each failure, recording every request they get (see server.py for what they share)."""
