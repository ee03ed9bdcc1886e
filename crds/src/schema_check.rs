//! Unknown-field detection against a CRD's structural schema (filled in below).
