// Implemented with its header; see common/include/bnfc/fs.h.
