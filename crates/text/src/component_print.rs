//! Printing component binaries as text.
