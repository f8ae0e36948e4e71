// Implemented with its header; see common/include/bnfc/config.h.
