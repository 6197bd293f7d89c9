package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// peakRSS reads this process's peak resident set size (VmHWM) in bytes.
func peakRSS() uint64 { return procStatusBytes(os.Getpid(), "VmHWM") }

// procStatusBytes reads a size field (VmRSS, VmHWM) of a process's
// /proc/PID/status in bytes; 0 when it cannot be read.
func procStatusBytes(pid int, field string) uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
