// zlib, used only to inflate gzip-compressed MNIST IDX files.
#ifndef NOLA_CZLIB_SHIM_H
#define NOLA_CZLIB_SHIM_H
#include <zlib.h>
#endif
