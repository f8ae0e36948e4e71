// Secure channel part: replay.
