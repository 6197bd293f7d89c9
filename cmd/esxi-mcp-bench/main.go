// Command esxi-mcp-bench measures the server against a large simulated
// vCenter: it builds a simulator with many VMs and a delay per SOAP call, runs
// the real server binary in its own process over Streamable HTTP (built from
// this repository unless -server names one), times each operation beside
// the same reads made by a plain govmomi client, then puts the server under
// load from many MCP sessions. It prints a markdown table on stdout and its
// progress on stderr.
//
//	go run ./cmd/esxi-mcp-bench                      # 10,000 VMs, 5 ms per call
//	go run ./cmd/esxi-mcp-bench -vms 1000 -duration 5s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
)

func main() {
	var o options
	flag.IntVar(&o.VMs, "vms", 10000, "VMs to add to the simulated vCenter")
	flag.DurationVar(&o.Delay, "delay", 5*time.Millisecond, "latency the simulator adds to every SOAP call")
	flag.DurationVar(&o.Duration, "duration", 10*time.Second, "length of the load phase")
	flag.IntVar(&o.Sessions, "sessions", 50, "MCP sessions in the load phase")
	flag.IntVar(&o.Workers, "workers", 10, "concurrent callers per session in the load phase")
	flag.IntVar(&o.Reps, "reps", 20, "calls per measured operation (fewer when -budget runs out first)")
	flag.DurationVar(&o.Budget, "budget", 20*time.Second, "time allowed per measured operation; at least 3 calls are made")
	flag.IntVar(&o.MaxConcurrency, "vcenter-max-concurrency", config.DefaultVCenterMaxConcurrency, "the server's vcenter_max_concurrency")
	flag.StringVar(&o.GoMemLimit, "gomemlimit", "", "the server's GOMEMLIMIT, e.g. 90MiB (default: none, Go's default)")
	flag.StringVar(&o.Server, "server", "", "the esxi-mcp-server binary to measure (default: build it from this repository)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the load phase to this file (go tool pprof)")
	flag.Parse()
	o.CPUProfile = *cpuProfile

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "esxi-mcp-bench:", err)
		stop()
		os.Exit(1)
	}
	r.writeMarkdown(os.Stdout)
	if err := r.failures(); err != nil {
		// After the table, so the run is still on record; CI fails on it.
		fmt.Fprintln(os.Stderr, "esxi-mcp-bench:", err)
		os.Exit(1)
	}
}
