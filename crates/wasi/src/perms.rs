//! What a guest may do beneath a granted directory, in wasmtime's terms.

bitflags::bitflags! {
    /// What the guest may do with a granted directory and the directories
    /// beneath it (wasmtime's `DirPerms`).
    ///
    /// - [`READ`](DirPerms::READ): look up, open, list and stat entries;
    /// - [`MUTATE`](DirPerms::MUTATE): create, remove, rename and link
    ///   entries, create or truncate files, set times.
    ///
    /// Without `READ` every lookup beneath the directory fails (`EPERM`);
    /// without `MUTATE` every change does.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct DirPerms: u8 {
        /// Look up, open, list and stat entries.
        const READ = 1;
        /// Create, remove, rename and link entries.
        const MUTATE = 2;
    }
}

bitflags::bitflags! {
    /// What the guest may do with the files it opens beneath a granted
    /// directory (wasmtime's `FilePerms`): [`READ`](FilePerms::READ) their
    /// contents, [`WRITE`](FilePerms::WRITE) them (including resizing and
    /// setting times). Opening a file for an access it lacks fails
    /// (`EPERM`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct FilePerms: u8 {
        /// Read files' contents.
        const READ = 1;
        /// Write, resize and set the times of files.
        const WRITE = 2;
    }
}
