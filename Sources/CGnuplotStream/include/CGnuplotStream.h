// One persistent gnuplot process, fed through gnuplot-iostream (Daniel Stahlke's C++ header,
// Debian's libgnuplot-iostream-dev), behind a plain C interface that Swift imports without C++
// interoperability. LessonKit uses it for what a script on disk cannot do: a loss curve redrawn
// while a lesson trains (`--live`) and figures drawn in the terminal as they are written
// (`--show`).
//
// How a frame travels: commands and inline data go down gnuplot's standard input through the
// library's `Gnuplot` stream (`<<` and `send1d`); gnuplot writes the frame into a file (`set
// output`), then prints an acknowledgement on its standard error, which is a pipe read here
// (`nola_gnuplot_sync`). Whatever else gnuplot says on standard error (its error messages) is
// handed back to the caller. The caller then copies the frame to the terminal itself, so frames
// never mix with the lesson's own output.
//
// A gnuplot that dies mid-stream makes writes to its pipe raise SIGPIPE, which would end the
// lesson: every write here blocks SIGPIPE in the calling thread and swallows the one it raised,
// and the call returns NOLA_GNUPLOT_GONE instead.
#ifndef NOLA_CGNUPLOTSTREAM_H
#define NOLA_CGNUPLOTSTREAM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A running gnuplot and the stream that feeds it.
typedef struct nola_gnuplot nola_gnuplot;

/// Results of the calls below.
enum {
    NOLA_GNUPLOT_OK = 0,
    /// gnuplot has exited or closed its input: nothing more can be sent (SIGPIPE was swallowed).
    NOLA_GNUPLOT_GONE = -1,
    /// gnuplot did not answer within the time limit.
    NOLA_GNUPLOT_TIMED_OUT = -2,
    /// Something else failed (the message says what).
    NOLA_GNUPLOT_FAILED = -3,
};

/// Starts `executable` (a path to gnuplot) in its own process group, its standard input fed by a
/// gnuplot-iostream stream, its standard output on /dev/null and its standard error on a pipe
/// read by `nola_gnuplot_sync`. Returns NULL when it cannot be started, with the reason in
/// `message` (at most `capacity` bytes, NUL-terminated).
nola_gnuplot *nola_gnuplot_open(const char *executable, char *message, size_t capacity);

/// Sends `commands` (gnuplot commands, newline-terminated) through the stream.
int nola_gnuplot_send(nola_gnuplot *gnuplot, const char *commands);

/// Sends `count` points (x[i], y[i]) as one inline data block (gnuplot-iostream's `send1d`),
/// for a `plot '-'` clause sent just before.
int nola_gnuplot_send_xy(nola_gnuplot *gnuplot, const double *x, const double *y, size_t count);

/// Waits until gnuplot has carried out everything sent so far, at most `seconds`. What gnuplot
/// wrote on standard error meanwhile (its complaints; empty when all went well) is copied to
/// `message` (at most `capacity` bytes, NUL-terminated).
int nola_gnuplot_sync(nola_gnuplot *gnuplot, double seconds, char *message, size_t capacity);

/// Closes the stream (gnuplot reads end-of-file and exits) and waits for gnuplot at most
/// `seconds`; after that it is killed with everything it started. Frees `gnuplot`. Returns
/// NOLA_GNUPLOT_OK when gnuplot exited by itself.
int nola_gnuplot_close(nola_gnuplot *gnuplot, double seconds);

/// The process id of the running gnuplot (for tests that make it die).
int nola_gnuplot_pid(const nola_gnuplot *gnuplot);

#ifdef __cplusplus
}
#endif

#endif
