// Implemented with its header; see common/include/bnfc/net.h.
