// dir: ro
// wasi:filesystem on a read-only /sandbox (`--dir-ro`, wasmtime: dir and file
// perms read), through wit-bindgen: descriptor flags, reads and read-directory
// work; opening for write, create, truncate, create-directory-at, unlink-file-at,
// remove-directory-at, rename-at, symlink-at, set-size and write all fail (error
// codes printed by name). The tree must be unchanged.
#include "p2_fs_common.h"

#define FOLLOW WASI_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW
#define RD WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ
#define WR WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE
#define CREATE WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE
#define TRUNC WASI_FILESYSTEM_TYPES_OPEN_FLAGS_TRUNCATE

bool exports_wasi_cli_run_run(void) {
    fd_own d = find_sandbox();
    if (d.__handle < 0) return false;
    ecode_t err;
    wasi_filesystem_types_descriptor_flags_t fl;
    if (wasi_filesystem_types_method_descriptor_get_flags(B(d), &fl, &err))
        say("sandbox flags read=%d write=%d mutate_directory=%d\n", !!(fl & RD), !!(fl & WR),
            !!(fl & WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_MUTATE_DIRECTORY));
    stat_at("stat-at hello.txt", d, FOLLOW, "hello.txt");
    list_dir("read-directory /sandbox", d);
    fd_own f;
    if (open_at("open hello.txt read", d, 0, "hello.txt", 0, RD, &f)) {
        read_all("read hello.txt", f);
        if (wasi_filesystem_types_method_descriptor_get_flags(B(f), &fl, &err))
            say("file flags read=%d write=%d\n", !!(fl & RD), !!(fl & WR));
        command_list_u8_t buf = {(uint8_t *)"x", 1};
        wasi_filesystem_types_filesize_t n;
        report("write on it", wasi_filesystem_types_method_descriptor_write(B(f), &buf, 0, &n, &err), err);
        report("set-size on it", wasi_filesystem_types_method_descriptor_set_size(B(f), 0, &err), err);
        wasi_filesystem_types_own_output_stream_t s;
        if (report("append-via-stream on it", wasi_filesystem_types_method_descriptor_append_via_stream(B(f), &s, &err), err))
            wasi_io_streams_output_stream_drop_own(s);
        wasi_filesystem_types_descriptor_drop_own(f);
    }
    if (open_at("open sub/nested.txt read", d, 0, "sub/nested.txt", 0, RD, &f)) {
        read_all("read sub/nested.txt", f);
        wasi_filesystem_types_descriptor_drop_own(f);
    }
    if (open_at("open hello.txt write", d, 0, "hello.txt", 0, WR, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at("open hello.txt read+truncate", d, 0, "hello.txt", TRUNC, RD, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at("create new.txt", d, 0, "new.txt", CREATE, RD | WR, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    if (open_at("create new.txt read-only", d, 0, "new.txt", CREATE, RD, &f)) wasi_filesystem_types_descriptor_drop_own(f);
    PATH_CALL("create-directory-at newdir", wasi_filesystem_types_method_descriptor_create_directory_at, d, "newdir");
    PATH_CALL("unlink-file-at hello.txt", wasi_filesystem_types_method_descriptor_unlink_file_at, d, "hello.txt");
    PATH_CALL("remove-directory-at sub", wasi_filesystem_types_method_descriptor_remove_directory_at, d, "sub");
    command_string_t a = str("hello.txt"), b = str("moved.txt");
    report("rename-at hello.txt -> moved.txt", wasi_filesystem_types_method_descriptor_rename_at(B(d), &a, B(d), &b, &err), err);
    report("symlink-at link -> hello.txt", wasi_filesystem_types_method_descriptor_symlink_at(B(d), &a, &b, &err), err);
    list_dir("read-directory /sandbox at end", d);
    wasi_filesystem_types_descriptor_drop_own(d);
    return true;
}
