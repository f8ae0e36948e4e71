// Secure channel part: zap.
