// The C interface of CGnuplotStream.h over gnuplot-iostream's `Gnuplot` stream. See the header
// for what each call does; this file is the plumbing: starting gnuplot with posix_spawn (so its
// process id is known and it can be stopped), wrapping its standard input in the library's
// stream, reading its standard error, and keeping SIGPIPE from ending the program.

#include "CGnuplotStream.h"

#include <gnuplot-iostream.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct nola_gnuplot {
    pid_t pid = -1;
    /// The read end of gnuplot's standard error.
    int errorFd = -1;
    /// gnuplot-iostream's stream over the write end of gnuplot's standard input.
    Gnuplot *stream = nullptr;
    /// Bytes read from standard error and not yet handed back.
    std::string pending;
    /// Acknowledgements asked for so far (each sync asks for the next).
    unsigned long acks = 0;
    /// Set once a write failed: gnuplot is gone.
    bool gone = false;
};

namespace {

/// Blocks SIGPIPE in the calling thread while it lives; a SIGPIPE raised meanwhile (a write to
/// the pipe of a gnuplot that has died: the signal goes to the writing thread) is taken off the
/// pending set before the old mask comes back, so it is never delivered. A SIGPIPE that was
/// already pending before is left alone.
class SigpipeGuard {
  public:
    SigpipeGuard() {
        sigemptyset(&pipeOnly);
        sigaddset(&pipeOnly, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        wasPending = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipeOnly, &previous);
    }
    ~SigpipeGuard() {
        if (!wasPending) {
            const struct timespec zero = {0, 0};
            while (sigtimedwait(&pipeOnly, nullptr, &zero) == -1 && errno == EINTR) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
    SigpipeGuard(const SigpipeGuard &) = delete;
    SigpipeGuard &operator=(const SigpipeGuard &) = delete;

  private:
    sigset_t pipeOnly;
    sigset_t previous;
    bool wasPending = false;
};

void copyMessage(const std::string &text, char *message, size_t capacity) {
    if (message == nullptr || capacity == 0) return;
    size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(message, text.data(), n);
    message[n] = '\0';
}

/// Runs `body` on the stream with SIGPIPE held off; a failed write marks gnuplot gone.
template <typename Body>
int writeToStream(nola_gnuplot *g, Body body) {
    if (g == nullptr || g->stream == nullptr || g->gone) return NOLA_GNUPLOT_GONE;
    SigpipeGuard guard;
    try {
        body(*g->stream);
        g->stream->flush();
    } catch (const std::exception &) {
        g->gone = true;
        return NOLA_GNUPLOT_GONE;
    }
    if (!g->stream->good()) {
        g->gone = true;
        return NOLA_GNUPLOT_GONE;
    }
    return NOLA_GNUPLOT_OK;
}

double now() {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

}  // namespace

extern "C" nola_gnuplot *nola_gnuplot_open(const char *executable, char *message, size_t capacity) {
    int input[2], errors[2];
    if (pipe2(input, O_CLOEXEC) != 0) {
        copyMessage(std::string("cannot make a pipe (") + std::strerror(errno) + ")", message, capacity);
        return nullptr;
    }
    if (pipe2(errors, O_CLOEXEC) != 0) {
        copyMessage(std::string("cannot make a pipe (") + std::strerror(errno) + ")", message, capacity);
        close(input[0]);
        close(input[1]);
        return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_adddup2(&actions, input[0], 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, errors[1], 2);
    // Its own process group (to stop it with whatever it starts), the default SIGPIPE action
    // and an empty signal mask whatever this thread holds.
    sigset_t none, pipeOnly;
    sigemptyset(&none);
    sigemptyset(&pipeOnly);
    sigaddset(&pipeOnly, SIGPIPE);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &pipeOnly);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attributes, 0);
    char *argv[] = {const_cast<char *>(executable), nullptr};
    pid_t pid = -1;
    int spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(input[0]);
    close(errors[1]);
    if (spawned != 0) {
        copyMessage(std::string("cannot start ") + executable + " (" + std::strerror(spawned) + ")", message, capacity);
        close(input[1]);
        close(errors[0]);
        return nullptr;
    }
    FILE *file = fdopen(input[1], "w");
    if (file == nullptr) {
        copyMessage(std::string("cannot open gnuplot's input (") + std::strerror(errno) + ")", message, capacity);
        close(input[1]);
        close(errors[0]);
        kill(-pid, SIGKILL);
        while (waitpid(pid, nullptr, 0) == -1 && errno == EINTR) {
        }
        return nullptr;
    }
    auto *g = new nola_gnuplot;
    g->pid = pid;
    g->errorFd = errors[0];
    try {
        g->stream = new Gnuplot(file);
    } catch (const std::exception &e) {
        copyMessage(std::string("cannot open gnuplot-iostream's stream (") + e.what() + ")", message, capacity);
        fclose(file);
        close(errors[0]);
        kill(-pid, SIGKILL);
        while (waitpid(pid, nullptr, 0) == -1 && errno == EINTR) {
        }
        delete g;
        return nullptr;
    }
    copyMessage("", message, capacity);
    return g;
}

extern "C" int nola_gnuplot_send(nola_gnuplot *g, const char *commands) {
    return writeToStream(g, [&](Gnuplot &gp) { gp << commands; });
}

extern "C" int nola_gnuplot_send_xy(nola_gnuplot *g, const double *x, const double *y, size_t count) {
    std::vector<std::pair<double, double>> points;
    points.reserve(count);
    for (size_t i = 0; i < count; i++) points.emplace_back(x[i], y[i]);
    return writeToStream(g, [&](Gnuplot &gp) { gp.send1d(points); });
}

extern "C" int nola_gnuplot_sync(nola_gnuplot *g, double seconds, char *message, size_t capacity) {
    copyMessage("", message, capacity);
    if (g == nullptr) return NOLA_GNUPLOT_GONE;
    g->acks += 1;
    const std::string token = "NOLA-ACK-" + std::to_string(g->acks);
    int sent = writeToStream(g, [&](Gnuplot &gp) { gp << "print '" << token << "'\n"; });
    const double deadline = now() + seconds;
    while (true) {
        size_t at = g->pending.find(token + "\n");
        if (at != std::string::npos) {
            copyMessage(g->pending.substr(0, at), message, capacity);
            g->pending.erase(0, at + token.size() + 1);
            return NOLA_GNUPLOT_OK;
        }
        double left = deadline - now();
        if (sent != NOLA_GNUPLOT_OK) left = left < 0.2 ? left : 0.2;  // collect its last words only
        if (left <= 0) {
            copyMessage(g->pending, message, capacity);
            g->pending.clear();
            return sent != NOLA_GNUPLOT_OK ? sent : NOLA_GNUPLOT_TIMED_OUT;
        }
        struct pollfd p = {g->errorFd, POLLIN, 0};
        int ready = poll(&p, 1, int(left * 1000) + 1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;  // the deadline is checked above
        char buffer[4096];
        ssize_t n = read(g->errorFd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // end of file: gnuplot has exited
            g->gone = true;
            copyMessage(g->pending, message, capacity);
            g->pending.clear();
            return NOLA_GNUPLOT_GONE;
        }
        g->pending.append(buffer, size_t(n));
    }
}

extern "C" int nola_gnuplot_close(nola_gnuplot *g, double seconds) {
    if (g == nullptr) return NOLA_GNUPLOT_OK;
    {
        SigpipeGuard guard;  // the stream's destructor flushes, then closes gnuplot's input
        try {
            delete g->stream;
        } catch (...) {
        }
        g->stream = nullptr;
    }
    int result = NOLA_GNUPLOT_FAILED;
    const double deadline = now() + seconds;
    int status = 0;
    while (true) {
        pid_t done = waitpid(g->pid, &status, WNOHANG);
        if (done == g->pid) {
            result = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NOLA_GNUPLOT_OK : NOLA_GNUPLOT_FAILED;
            break;
        }
        if (done == -1 && errno != EINTR) break;
        if (now() >= deadline) {
            kill(-g->pid, SIGKILL);  // the whole group: gnuplot and whatever it started
            while (waitpid(g->pid, &status, 0) == -1 && errno == EINTR) {
            }
            result = NOLA_GNUPLOT_TIMED_OUT;
            break;
        }
        usleep(5000);
    }
    close(g->errorFd);
    delete g;
    return result;
}

extern "C" int nola_gnuplot_pid(const nola_gnuplot *g) { return g == nullptr ? -1 : int(g->pid); }
