// Secure channel part: keys.
