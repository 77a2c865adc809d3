/* The two public headers of libgfapi. glfs.h forces _FILE_OFFSET_BITS=64 and _GNU_SOURCE
 * itself (struct stat must match the library's); build.rs passes them to clang as well. */
#include <glusterfs/api/glfs.h>
#include <glusterfs/api/glfs-handles.h>
