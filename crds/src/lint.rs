//! `linnet lint` (filled in below).
