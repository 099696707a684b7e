package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The action (and GitHub's script, when it is compared) is not started by
// this process but by a small one, this command re-executed with
// launchFlag, which starts it, waits for it and reports its rusage.
//
// Why: Linux's ru_maxrss of a process counts the peak RSS of the memory it
// replaced at exec. Go starts children with vfork (CLONE_VM), so that memory
// is the parent's: an action started from here, where the fake GitHub holds
// a million deliveries, would report this process's peak RSS, hundreds of
// megabytes, as its own. (go run and any other large parent have the same
// effect, so a process cannot trust its own getrusage either.) The launcher
// is a few megabytes; its peak RSS is reported too, as the floor below
// which the action's figure means nothing.
const launchFlag = "-launch-and-measure"

// launch runs in the launcher: it starts bin with args, the launcher's
// environment and standard files, and writes to file descriptor 3 a line "pid
// start-unix-nanos" once bin has started and a line "exit-code
// end-unix-nanos cpu-nanos maxrss-bytes launcher-hwm-bytes" once it has
// exited.
func launch(bin string, args []string) int {
	ctrl := os.NewFile(3, "control")
	if ctrl == nil {
		fmt.Fprintln(os.Stderr, "loadtest: the launcher needs file descriptor 3")
		return 2
	}
	floor := procHWM(os.Getpid())
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr // the action writes to the parent's pipes directly
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest: start the action:", err)
		return 2
	}
	fmt.Fprintf(ctrl, "%d %d\n", cmd.Process.Pid, start.UnixNano())
	_ = cmd.Wait() // the exit code is reported
	end := time.Now()
	cpu, rss := rusage(cmd.ProcessState)
	fmt.Fprintf(ctrl, "%d %d %d %d %d\n", cmd.ProcessState.ExitCode(), end.UnixNano(), cpu, rss, floor)
	return 0
}

// launcher is the parent's side of a launcher.
type launcher struct {
	cmd         *exec.Cmd
	ctrl        *bufio.Reader
	ctrlFile    *os.File
	pid         int
	actionStart time.Time
}

// launched is what the launcher reports of the exited action.
type launched struct {
	code        int
	end         time.Time
	cpu         time.Duration
	maxRSS      int64
	launcherRSS int64
}

// startLauncher prepares a launcher for bin with args and env; set its
// Stdout and Stderr, then call start.
func startLauncher(ctx context.Context, env []string, bin string, args ...string) (*launcher, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{launchFlag, bin}, args...)...)
	cmd.Env = env
	return &launcher{cmd: cmd}, nil
}

func (l *launcher) start() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	l.cmd.ExtraFiles = []*os.File{w}
	err = l.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return fmt.Errorf("start the launcher: %w", err)
	}
	l.ctrlFile, l.ctrl = r, bufio.NewReader(r)
	f, err := l.fields(2)
	if err != nil {
		return err
	}
	l.pid = int(f[0])
	l.actionStart = time.Unix(0, f[1])
	return nil
}

// wait waits for the action's end. Read its output first.
func (l *launcher) wait() (launched, error) {
	defer l.ctrlFile.Close()
	f, err := l.fields(5)
	if werr := l.cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("the launcher: %w", werr)
	}
	if err != nil {
		return launched{}, err
	}
	return launched{code: int(f[0]), end: time.Unix(0, f[1]), cpu: time.Duration(f[2]), maxRSS: f[3], launcherRSS: f[4]}, nil
}

// fields reads a line of n numbers from the launcher.
func (l *launcher) fields(n int) ([]int64, error) {
	line, err := l.ctrl.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("the launcher said nothing (%w); did the action start?", err)
	}
	parts := strings.Fields(line)
	if len(parts) != n {
		return nil, fmt.Errorf("the launcher said %q", line)
	}
	out := make([]int64, n)
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, errors.New("the launcher said " + strconv.Quote(line))
		}
		out[i] = v
	}
	return out, nil
}
