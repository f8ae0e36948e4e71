// Implemented with its header; see common/include/bnfc/log.h.
