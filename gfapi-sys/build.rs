//! Probes libgfapi with pkg-config (`glusterfs-api` >= 7.0) and generates the raw bindings with
//! bindgen from `wrapper.h`. Must not hand-write any declaration: what the headers say is what we
//! bind. libc's `stat`/`dirent`/`timespec`/... are reused instead of bindgen copies, so the safe
//! crate passes `libc` types straight through.

use std::env;
use std::path::PathBuf;

const PACKAGES_HINT: &str =
    "install the Debian packages libglusterfs-dev, pkg-config and libclang-dev (apt-get install libglusterfs-dev pkg-config libclang-dev)";

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let lib = match pkg_config::Config::new()
        .atleast_version("7.0")
        .probe("glusterfs-api")
    {
        Ok(lib) => lib,
        Err(e) => {
            // One line that says what to do; the pkg-config detail follows for the curious.
            eprintln!("error: libgfapi (pkg-config glusterfs-api >= 7.0) not found: {PACKAGES_HINT}");
            eprintln!("pkg-config said: {e}");
            std::process::exit(1);
        }
    };

    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_arg("-D_FILE_OFFSET_BITS=64")
        .clang_arg("-D_GNU_SOURCE")
        .allowlist_function("glfs_.*")
        .allowlist_type("glfs_.*")
        .allowlist_var("GFAPI_.*|GLFS_.*")
        // Opaque handles: only ever behind raw pointers.
        .opaque_type("glfs|glfs_fd|glfs_object|glfs_upcall.*|glfs_xreaddirp_stat|glfs_lease")
        // libc owns these types; bindgen copies would be layout-equal but type-incompatible.
        .blocklist_type(
            "stat|statvfs|dirent|timespec|flock|iovec|off_t|mode_t|dev_t|uid_t|gid_t|ino_t|nlink_t|\
             blksize_t|blkcnt_t|off64_t|ssize_t|size_t|__.*|acl_t|acl_type_t",
        )
        // -DUSE_POSIX_ACLS=1 (from pkg-config) pulls in sys/acl.h; acl_t is a pointer to an
        // opaque struct there. Declared by hand because blocklisting `__.*` removes `__acl_ext`.
        .raw_line("pub type acl_t = *mut ::std::ffi::c_void;")
        .raw_line("pub type acl_type_t = ::std::os::raw::c_uint;")
        .raw_line(
            "pub use libc::{stat, statvfs, dirent, timespec, flock, iovec, off_t, mode_t, dev_t, uid_t, \
             gid_t, ino_t, nlink_t, blksize_t, blkcnt_t, off64_t, ssize_t, size_t};",
        )
        .default_enum_style(bindgen::EnumVariation::NewType {
            is_bitfield: false,
            is_global: false,
        })
        .derive_default(true)
        .layout_tests(true)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for p in &lib.include_paths {
        builder = builder.clang_arg(format!("-I{}", p.display()));
    }
    for (k, v) in &lib.defines {
        builder = builder.clang_arg(match v {
            Some(v) => format!("-D{k}={v}"),
            None => format!("-D{k}"),
        });
    }
    let bindings = match builder.generate() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: bindgen failed on the glusterfs-api headers ({e}): {PACKAGES_HINT}");
            std::process::exit(1);
        }
    };
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("writing bindings.rs to OUT_DIR");

    // Where the headers are, so the coverage test can compare them with the bindings, and so
    // dependants could read DEP_GFAPI_INCLUDE.
    let include = lib
        .include_paths
        .iter()
        .map(|p| p.join("glusterfs/api"))
        .chain([PathBuf::from("/usr/include/glusterfs/api")])
        .find(|p| p.join("glfs.h").exists())
        .unwrap_or_else(|| PathBuf::from("/usr/include/glusterfs/api"));
    println!("cargo:include={}", include.display());
    println!("cargo:rustc-env=GFAPI_SYS_HEADER_DIR={}", include.display());
}
