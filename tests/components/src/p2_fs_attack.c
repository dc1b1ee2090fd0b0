// ATTACK through wasi:filesystem directly (wit-bindgen, no adapter, no libc path
// resolution): open-at/stat-at/readlink/create/unlink on paths that leave the
// /sandbox preopen: "..", "../outside/secret.txt", "sub/../../outside",
// absolute "/etc/passwd" and "/sandbox/hello.txt", and guest-made symlinks to
// "../outside" and "/etc" followed by open-at/stat-at. Every escape must fail;
// prints error codes by name and secret_seen=0/1, never file contents from
// outside. Cleans up its links; the tree must show nothing changed outside.
#include "p2_fs_common.h"

#define FOLLOW WASI_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW
#define RD WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ
#define WR WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE
#define CREATE WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE
#define DIRFLAG WASI_FILESYSTEM_TYPES_OPEN_FLAGS_DIRECTORY

static int secret_seen;

/* Try to open PATH for reading; never prints the contents. */
static void try_read(const char *label, fd_own dir, wasi_filesystem_types_path_flags_t pf, const char *path) {
    fd_own f;
    if (!open_at(label, dir, pf, path, 0, RD, &f)) return;
    command_tuple2_list_u8_bool_t r;
    ecode_t err;
    if (wasi_filesystem_types_method_descriptor_read(B(f), 64, 0, &r, &err)) {
        if (r.f0.len >= 10 && !memcmp(r.f0.ptr, "TOP SECRET", 10)) secret_seen = 1;
        say("  read %zu bytes\n", r.f0.len);
        command_list_u8_free(&r.f0);
    } else {
        say("  read error=%s\n", ecode(err));
    }
    wasi_filesystem_types_descriptor_drop_own(f);
}

bool exports_wasi_cli_run_run(void) {
    fd_own d = find_sandbox();
    if (d.__handle < 0) return false;
    ecode_t err;
    fd_own f;

    try_read("open ../outside/secret.txt", d, 0, "../outside/secret.txt");
    try_read("open sub/../../outside/secret.txt", d, 0, "sub/../../outside/secret.txt");
    try_read("open /etc/passwd", d, 0, "/etc/passwd");
    try_read("open /sandbox/hello.txt", d, 0, "/sandbox/hello.txt");
    try_read("open sub/../hello.txt (stays inside)", d, 0, "sub/../hello.txt");
    if (open_at("open .. as directory", d, 0, "..", DIRFLAG, RD, &f)) {
        list_dir("  listing", f);
        wasi_filesystem_types_descriptor_drop_own(f);
    }
    if (open_at("open . as directory", d, 0, ".", DIRFLAG, RD, &f)) {
        try_read("open ../outside/secret.txt from .", f, 0, "../outside/secret.txt");
        wasi_filesystem_types_descriptor_drop_own(f);
    }
    stat_at("stat-at ../outside/secret.txt", d, FOLLOW, "../outside/secret.txt");
    stat_at("stat-at ..", d, FOLLOW, "..");
    if (open_at("create ../outside/new.txt", d, 0, "../outside/new.txt", CREATE, WR, &f))
        wasi_filesystem_types_descriptor_drop_own(f);
    PATH_CALL("create-directory-at ../evil", wasi_filesystem_types_method_descriptor_create_directory_at, d, "../evil");
    PATH_CALL("unlink-file-at ../outside/secret.txt", wasi_filesystem_types_method_descriptor_unlink_file_at, d, "../outside/secret.txt");
    command_string_t from = str("../outside/secret.txt"), to = str("stolen.txt");
    report("rename-at ../outside/secret.txt -> stolen.txt",
           wasi_filesystem_types_method_descriptor_rename_at(B(d), &from, B(d), &to, &err), err);
    command_string_t from2 = str("hello.txt"), to2 = str("../outside/planted.txt");
    report("rename-at hello.txt -> ../outside/planted.txt",
           wasi_filesystem_types_method_descriptor_rename_at(B(d), &from2, B(d), &to2, &err), err);

    /* Guest-made symlinks pointing out of the sandbox. */
    command_string_t t1 = str("../outside"), l1 = str("esc");
    report("symlink-at esc -> ../outside", wasi_filesystem_types_method_descriptor_symlink_at(B(d), &t1, &l1, &err), err);
    command_string_t t2 = str("/etc"), l2 = str("etc");
    report("symlink-at etc -> /etc", wasi_filesystem_types_method_descriptor_symlink_at(B(d), &t2, &l2, &err), err);
    command_string_t t3 = str("sub/../../outside/secret.txt"), l3 = str("deep");
    report("symlink-at deep -> sub/../../outside/secret.txt", wasi_filesystem_types_method_descriptor_symlink_at(B(d), &t3, &l3, &err), err);
    try_read("open esc/secret.txt follow", d, FOLLOW, "esc/secret.txt");
    try_read("open esc/secret.txt nofollow", d, 0, "esc/secret.txt");
    try_read("open etc/passwd follow", d, FOLLOW, "etc/passwd");
    try_read("open deep follow", d, FOLLOW, "deep");
    try_read("open deep nofollow", d, 0, "deep");
    stat_at("stat-at esc follow", d, FOLLOW, "esc");
    stat_at("stat-at esc nofollow", d, 0, "esc");
    if (open_at("create esc/planted.txt", d, FOLLOW, "esc/planted.txt", CREATE, WR, &f))
        wasi_filesystem_types_descriptor_drop_own(f);
    command_string_t got;
    if (report("readlink-at esc", wasi_filesystem_types_method_descriptor_readlink_at(B(d), &l1, &got, &err), err)) {
        say("  target='%.*s'\n", (int)got.len, (char *)got.ptr);
        command_string_free(&got);
    }
    PATH_CALL("unlink-file-at esc", wasi_filesystem_types_method_descriptor_unlink_file_at, d, "esc");
    PATH_CALL("unlink-file-at etc", wasi_filesystem_types_method_descriptor_unlink_file_at, d, "etc");
    PATH_CALL("unlink-file-at deep", wasi_filesystem_types_method_descriptor_unlink_file_at, d, "deep");
    list_dir("read-directory /sandbox at end", d);
    say("secret_seen=%d\n", secret_seen);
    wasi_filesystem_types_descriptor_drop_own(d);
    return true;
}
