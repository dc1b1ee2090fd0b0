// wasi:filesystem (preopens, types) through wit-bindgen, no adapter, on a
// read-write /sandbox: descriptor type/flags, stat-at, open-at + read at offsets,
// read-via-stream, create-directory-at, create/exclusive open, write at offsets,
// write-via-stream, append-via-stream, set-size, read-directory (sorted),
// rename-at, unlink-file-at, remove-directory-at, symlink-at/readlink-at,
// metadata-hash, is-same-object, and error codes by name (exist, no-entry,
// not-empty, not-directory, ...). Ends with link.txt -> hello.txt and kept.txt.
#include "p2_fs_common.h"

#define FOLLOW WASI_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW
#define RD WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ
#define WR WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE
#define CREATE WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE
#define EXCL WASI_FILESYSTEM_TYPES_OPEN_FLAGS_EXCLUSIVE
#define TRUNC WASI_FILESYSTEM_TYPES_OPEN_FLAGS_TRUNCATE
#define DIRFLAG WASI_FILESYSTEM_TYPES_OPEN_FLAGS_DIRECTORY

static void stream_write(wasi_filesystem_types_own_output_stream_t s, const char *text) {
    p2_write(s, text, strlen(text));
    wasi_io_streams_output_stream_drop_own(s);
}

bool exports_wasi_cli_run_run(void) {
    fd_own d = find_sandbox();
    if (d.__handle < 0) return false;
    ecode_t err;

    wasi_filesystem_types_descriptor_type_t t;
    if (wasi_filesystem_types_method_descriptor_get_type(B(d), &t, &err)) say("sandbox type=%s\n", dtype(t));
    wasi_filesystem_types_descriptor_flags_t fl;
    if (wasi_filesystem_types_method_descriptor_get_flags(B(d), &fl, &err))
        say("sandbox flags read=%d write=%d mutate_directory=%d\n", !!(fl & RD), !!(fl & WR),
            !!(fl & WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_MUTATE_DIRECTORY));
    stat_at("stat-at hello.txt", d, FOLLOW, "hello.txt");
    stat_at("stat-at sub", d, FOLLOW, "sub");
    stat_at("stat-at sub/nested.txt", d, 0, "sub/nested.txt");
    stat_at("stat-at missing", d, FOLLOW, "missing");

    /* read at offsets */
    fd_own f;
    if (open_at("open hello.txt", d, 0, "hello.txt", 0, RD, &f)) {
        read_all("read hello.txt", f);
        command_tuple2_list_u8_bool_t r;
        if (wasi_filesystem_types_method_descriptor_read(B(f), 5, 6, &r, &err)) {
            say("read 5 at 6: '%.*s' eof=%d\n", (int)r.f0.len, (char *)r.f0.ptr, r.f1);
            command_list_u8_free(&r.f0);
        }
        if (wasi_filesystem_types_method_descriptor_read(B(f), 10, 100, &r, &err)) {
            say("read past end: len=%zu eof=%d\n", r.f0.len, r.f1);
            command_list_u8_free(&r.f0);
        }
        wasi_filesystem_types_own_input_stream_t in;
        if (wasi_filesystem_types_method_descriptor_read_via_stream(B(f), 6, &in, &err)) {
            size_t total = 0;
            for (;;) {
                command_list_u8_t got;
                wasi_io_streams_stream_error_t se;
                if (!wasi_io_streams_method_input_stream_blocking_read(
                        wasi_io_streams_borrow_input_stream(in), 4, &got, &se)) {
                    say("read-via-stream at 6: %zu bytes then %s\n", total,
                        se.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED ? "closed" : "failed");
                    break;
                }
                total += got.len;
                command_list_u8_free(&got);
            }
            wasi_io_streams_input_stream_drop_own(in);
        }
        wasi_filesystem_types_descriptor_stat_t st;
        if (wasi_filesystem_types_method_descriptor_stat(B(f), &st, &err))
            say("stat fd: type=%s size=%llu\n", dtype(st.type), st.size);
        command_list_u8_t buf = {(uint8_t *)"x", 1};
        wasi_filesystem_types_filesize_t n;
        report("write on read-only descriptor",
               wasi_filesystem_types_method_descriptor_write(B(f), &buf, 0, &n, &err), err);

        wasi_filesystem_types_metadata_hash_value_t h1, h2, h3;
        command_string_t p = str("hello.txt"), q = str("sub/nested.txt");
        if (wasi_filesystem_types_method_descriptor_metadata_hash(B(f), &h1, &err) &&
            wasi_filesystem_types_method_descriptor_metadata_hash_at(B(d), FOLLOW, &p, &h2, &err) &&
            wasi_filesystem_types_method_descriptor_metadata_hash_at(B(d), FOLLOW, &q, &h3, &err))
            say("metadata-hash same file equal=%d, other file differs=%d\n",
                h1.lower == h2.lower && h1.upper == h2.upper, h1.lower != h3.lower || h1.upper != h3.upper);
        fd_own f2;
        if (open_at("open hello.txt again", d, 0, "hello.txt", 0, RD, &f2)) {
            say("is-same-object=%d self=%d dir=%d\n",
                wasi_filesystem_types_method_descriptor_is_same_object(B(f), B(f2)),
                wasi_filesystem_types_method_descriptor_is_same_object(B(f), B(f)),
                wasi_filesystem_types_method_descriptor_is_same_object(B(f), B(d)));
            wasi_filesystem_types_descriptor_drop_own(f2);
        }
        wasi_filesystem_types_descriptor_drop_own(f);
    }

    /* create and write */
    PATH_CALL("create-directory-at newdir", wasi_filesystem_types_method_descriptor_create_directory_at, d, "newdir");
    PATH_CALL("create-directory-at newdir again", wasi_filesystem_types_method_descriptor_create_directory_at, d, "newdir");
    PATH_CALL("create-directory-at missing/x", wasi_filesystem_types_method_descriptor_create_directory_at, d, "missing/x");
    fd_own g;
    if (open_at("create newdir/out.txt", d, 0, "newdir/out.txt", CREATE | EXCL, RD | WR, &g)) {
        command_list_u8_t buf = {(uint8_t *)"written at 0\n", 13};
        wasi_filesystem_types_filesize_t n = 0;
        if (report("write at 0", wasi_filesystem_types_method_descriptor_write(B(g), &buf, 0, &n, &err), err))
            say("wrote=%llu\n", n);
        wasi_filesystem_types_own_output_stream_t s;
        if (report("write-via-stream at 13", wasi_filesystem_types_method_descriptor_write_via_stream(B(g), 13, &s, &err), err))
            stream_write(s, "streamed\n");
        if (report("append-via-stream", wasi_filesystem_types_method_descriptor_append_via_stream(B(g), &s, &err), err))
            stream_write(s, "appended\n");
        buf.ptr = (uint8_t *)"WRITTEN";
        buf.len = 7;
        report("overwrite at 0", wasi_filesystem_types_method_descriptor_write(B(g), &buf, 0, &n, &err), err);
        read_all("read newdir/out.txt", g);
        report("sync", wasi_filesystem_types_method_descriptor_sync(B(g), &err), err);
        report("sync-data", wasi_filesystem_types_method_descriptor_sync_data(B(g), &err), err);
        report("set-size 12", wasi_filesystem_types_method_descriptor_set_size(B(g), 12, &err), err);
        read_all("after set-size 12", g);
        report("set-size 16", wasi_filesystem_types_method_descriptor_set_size(B(g), 16, &err), err);
        read_all("after set-size 16", g);
        wasi_filesystem_types_descriptor_drop_own(g);
    }
    if (open_at("create newdir/out.txt exclusive again", d, 0, "newdir/out.txt", CREATE | EXCL, RD | WR, &g))
        wasi_filesystem_types_descriptor_drop_own(g);
    if (open_at("open newdir/out.txt truncate", d, 0, "newdir/out.txt", TRUNC, WR, &g)) {
        wasi_filesystem_types_descriptor_stat_t st;
        if (wasi_filesystem_types_method_descriptor_stat(B(g), &st, &err)) say("size after truncate=%llu\n", st.size);
        command_list_u8_t buf = {(uint8_t *)"kept\n", 5};
        wasi_filesystem_types_filesize_t n;
        report("write kept", wasi_filesystem_types_method_descriptor_write(B(g), &buf, 0, &n, &err), err);
        wasi_filesystem_types_descriptor_drop_own(g);
    }
    if (open_at("open missing.txt", d, 0, "missing.txt", 0, RD, &g)) wasi_filesystem_types_descriptor_drop_own(g);
    if (open_at("open hello.txt as directory", d, 0, "hello.txt", DIRFLAG, RD, &g)) wasi_filesystem_types_descriptor_drop_own(g);
    if (open_at("open hello.txt/x", d, 0, "hello.txt/x", 0, RD, &g)) wasi_filesystem_types_descriptor_drop_own(g);
    if (open_at("open sub as directory", d, 0, "sub", DIRFLAG, RD, &g)) {
        list_dir("read-directory sub", g);
        stat_at("stat-at nested.txt via sub", g, 0, "nested.txt");
        wasi_filesystem_types_descriptor_drop_own(g);
    }
    list_dir("read-directory /sandbox", d);

    /* rename, unlink, rmdir */
    command_string_t from = str("newdir/out.txt"), to = str("kept.txt");
    report("rename-at newdir/out.txt -> kept.txt",
           wasi_filesystem_types_method_descriptor_rename_at(B(d), &from, B(d), &to, &err), err);
    report("rename-at again (source gone)",
           wasi_filesystem_types_method_descriptor_rename_at(B(d), &from, B(d), &to, &err), err);
    PATH_CALL("create-directory-at newdir/inner", wasi_filesystem_types_method_descriptor_create_directory_at, d, "newdir/inner");
    PATH_CALL("remove-directory-at newdir (not empty)", wasi_filesystem_types_method_descriptor_remove_directory_at, d, "newdir");
    PATH_CALL("remove-directory-at newdir/inner", wasi_filesystem_types_method_descriptor_remove_directory_at, d, "newdir/inner");
    PATH_CALL("remove-directory-at newdir", wasi_filesystem_types_method_descriptor_remove_directory_at, d, "newdir");
    PATH_CALL("remove-directory-at hello.txt", wasi_filesystem_types_method_descriptor_remove_directory_at, d, "hello.txt");
    if (open_at("create temp.txt", d, 0, "temp.txt", CREATE, WR, &g)) wasi_filesystem_types_descriptor_drop_own(g);
    PATH_CALL("unlink-file-at temp.txt", wasi_filesystem_types_method_descriptor_unlink_file_at, d, "temp.txt");
    PATH_CALL("unlink-file-at temp.txt again", wasi_filesystem_types_method_descriptor_unlink_file_at, d, "temp.txt");

    /* symlinks inside the sandbox */
    command_string_t target = str("hello.txt"), link = str("link.txt");
    report("symlink-at link.txt -> hello.txt",
           wasi_filesystem_types_method_descriptor_symlink_at(B(d), &target, &link, &err), err);
    command_string_t got;
    if (report("readlink-at link.txt", wasi_filesystem_types_method_descriptor_readlink_at(B(d), &link, &got, &err), err)) {
        say("link target='%.*s'\n", (int)got.len, (char *)got.ptr);
        command_string_free(&got);
    }
    command_string_t hello = str("hello.txt");
    report("readlink-at hello.txt (not a link)",
           wasi_filesystem_types_method_descriptor_readlink_at(B(d), &hello, &got, &err), err);
    stat_at("stat-at link.txt nofollow", d, 0, "link.txt");
    stat_at("stat-at link.txt follow", d, FOLLOW, "link.txt");
    if (open_at("open link.txt follow", d, FOLLOW, "link.txt", 0, RD, &g)) {
        read_all("read via link", g);
        wasi_filesystem_types_descriptor_drop_own(g);
    }
    list_dir("read-directory /sandbox at end", d);
    wasi_filesystem_types_descriptor_drop_own(d);
    return true;
}
