// Secure channel part: channel.
