package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// rusage returns the CPU time (user and system) and peak RSS of an exited
// child. Linux reports ru_maxrss in KiB.
func rusage(ps *os.ProcessState) (cpu time.Duration, maxRSS int64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return ps.UserTime() + ps.SystemTime(), 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Maxrss << 10
}

// procCPU returns the CPU time a running process has used so far: the sum
// of se.sum_exec_runtime (nanosecond precision) over its threads, or, when
// the kernel does not expose it, utime+stime from /proc/pid/stat (clock
// ticks of 10 ms). 0 if neither can be read.
func procCPU(pid int) time.Duration {
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "sched"))
	var sum time.Duration
	found := false
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			name, val, ok := strings.Cut(line, ":")
			if !ok || strings.TrimSpace(name) != "se.sum_exec_runtime" {
				continue
			}
			if ms, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
				sum += time.Duration(ms * 1e6)
				found = true
			}
		}
	}
	if found {
		return sum
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const tick = 10 * time.Millisecond // USER_HZ is 100 on every Linux the action runs on
	return time.Duration(utime+stime) * tick
}

// procHWM returns a running process's peak RSS so far (VmHWM), in bytes.
func procHWM(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
