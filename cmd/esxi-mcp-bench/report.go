package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// median and p99 of durations (nearest rank); 0 for none.
func median(d []time.Duration) time.Duration { return percentile(d, 50) }
func p99(d []time.Duration) time.Duration    { return percentile(d, 99) }

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100 // nearest rank, 1-based
	return s[max(i, 1)-1]
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func mb(b uint64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

func kb(b float64) string {
	if b >= 10<<20 {
		return fmt.Sprintf("%.1f MB", b/(1<<20))
	}
	return fmt.Sprintf("%.0f KB", b/1024)
}

// writeMarkdown prints the run as markdown: the operations, each beside the
// plain client's same reads, then the load and memory.
func (r *result) writeMarkdown(w io.Writer) {
	o := r.Options
	memLimit := "none"
	if o.GoMemLimit != "" {
		memLimit = o.GoMemLimit
	}
	fmt.Fprintf(w, "Simulated vCenter: %d VMs (built in %s), %s per SOAP call, vcenter_max_concurrency %d, GOMAXPROCS %d, the server's GOMEMLIMIT %s.\n\n",
		r.TotalVMs, r.BuildTime.Round(time.Second), o.Delay, o.MaxConcurrency, gomaxprocs(), memLimit)
	fmt.Fprintln(w, "| operation | client | calls | median | p99 | SOAP requests per call | SOAP bytes per call | plain ÷ server, median (above 1: the server is faster) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	var server *opResult
	for i := range r.Ops {
		op := &r.Ops[i]
		ratio := "—"
		if op.By == byServer {
			server = op
		} else if server != nil && server.Op == op.Op && median(server.Samples) > 0 {
			ratio = fmt.Sprintf("%.2f×", float64(median(op.Samples))/float64(median(server.Samples)))
		}
		name := op.Op
		if op.By != byServer {
			name = ""
		}
		calls := fmt.Sprint(len(op.Samples))
		if op.Errors > 0 {
			calls += fmt.Sprintf(" (%d failed)", op.Errors)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.1f | %s | %s |\n",
			name, op.By, calls, ms(median(op.Samples)), ms(p99(op.Samples)), op.Requests, kb(op.Bytes), ratio)
	}
	l := r.Load
	fmt.Fprintf(w, "\n| load: %d sessions × %d workers calling `list_vms` for %s | value |\n|---|---|\n", o.Sessions, o.Workers, o.Duration)
	fmt.Fprintf(w, "| calls answered | %d (%.1f calls/s over %s) |\n", l.Calls, l.CallsPerSecond(), l.Wall.Round(100*time.Millisecond))
	fmt.Fprintf(w, "| median / p99 | %s / %s |\n", ms(median(l.Latencies)), ms(p99(l.Latencies)))
	fmt.Fprintf(w, "| errors | %d |\n", l.Errors)
	fmt.Fprintf(w, "| unfinished (cut %s after the end) | %d |\n", loadGrace, l.Unfinished)
	m := r.Memory
	fmt.Fprintln(w, "\n| memory | resident now | peak resident so far | Go heap |\n|---|---|---|---|")
	fmt.Fprintf(w, "| server process, after the first list_vms (the mirror filled) | %s | %s | — |\n", mb(m.serverAfterFill.RSS), mb(m.serverAfterFill.PeakRSS))
	fmt.Fprintf(w, "| server process, after the load | %s | %s | — |\n", mb(m.serverAfterLoad.RSS), mb(m.serverAfterLoad.PeakRSS))
	fmt.Fprintf(w, "| benchmark process (simulator and clients), before the server starts | — | %s | %s |\n", mb(m.before.PeakRSS), mb(m.before.HeapBytes))
	fmt.Fprintf(w, "| benchmark process, after the load | — | %s | %s |\n", mb(m.afterLoad.PeakRSS), mb(m.afterLoad.HeapBytes))
	if l.FirstError != "" {
		fmt.Fprintf(w, "\nFirst load error: %s\n", oneLine(l.FirstError))
	}
	for _, op := range r.Ops {
		if op.Err != nil {
			fmt.Fprintf(w, "\nFirst error of %s by %s: %s\n", op.Op, op.By, oneLine(op.Err.Error()))
		}
	}
	methods := slices.SortedFunc(maps.Keys(r.SOAP), func(a, b string) int { return int(r.SOAP[b].Requests - r.SOAP[a].Requests) })
	var parts []string
	for _, name := range methods[:min(8, len(methods))] {
		parts = append(parts, fmt.Sprintf("%s %d", name, r.SOAP[name].Requests))
	}
	fmt.Fprintf(w, "\nSOAP requests over the run, most frequent first: %s.\n", strings.Join(parts, ", "))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// failures reports calls that failed: a run with any is not a valid measurement.
func (r *result) failures() error {
	n := r.Load.Errors
	for _, op := range r.Ops {
		n += op.Errors
	}
	if n > 0 {
		return fmt.Errorf("%d calls failed (see the errors after the table)", n)
	}
	return nil
}
