// Command esxi-mcp-server serves the Model Context Protocol for a VMware
// vCenter or ESXi host (or the embedded simulator) over Streamable HTTP or stdio.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/app"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/logging"
	"github.com/esxi-mcp-server/esxi-mcp-server/internal/redact"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("esxi-mcp-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var configFile string
	fs.StringVar(&configFile, "c", "", "configuration `file` (.yaml, .yml or .json); default: $MCP_CONFIG_FILE")
	fs.StringVar(&configFile, "config", "", "same as -c")
	fs.String("transport", "", "MCP transport: http (default) or stdio")
	fs.String("listen", "", "HTTP listen address (default 127.0.0.1:8080)")
	fs.Bool("simulator", false, "serve the embedded vCenter simulator instead of a real vCenter (a demo; needs no config)")
	fs.String("log-level", "", "DEBUG, INFO (default), WARNING or ERROR")
	fs.String("log-file", "", "log to this `file` instead of stderr")
	fs.Bool("read-only", false, "expose only read-only tools")
	fs.Bool("disable-destructive", false, "hide destructive tools (delete, power off, ...)")
	fs.Bool("stateless", false, "serve Streamable HTTP without server-side sessions (several replicas behind a load balancer)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: esxi-mcp-server [-c FILE] [--transport http|stdio] [--listen ADDR] [--simulator] [--log-level L] [--log-file F] [--read-only] [--disable-destructive] [--stateless] [--version]\n\n")
		fs.PrintDefaults()
	}
	if msg := joinedFlag(fs, args); msg != "" {
		fmt.Fprintln(stderr, "esxi-mcp-server: "+msg)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "esxi-mcp-server: unexpected argument %q (each flag and its value are separate arguments, e.g. \"--transport\", \"stdio\")\n", fs.Arg(0))
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "esxi-mcp-server", versionString())
		return 0
	}

	flags := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "c", "config", "version":
		default:
			flags[flagKey(f.Name)] = f.Value.String()
		}
	})
	loadOpts := config.Options{File: configFile, Flags: flags}
	cfg, err := config.Load(loadOpts)
	if err != nil {
		fmt.Fprintf(stderr, "esxi-mcp-server: %v\n", err)
		return 1
	}
	log, closeLog, err := logging.New(cfg.LogLevel, cfg.LogFile, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "esxi-mcp-server: %v\n", err)
		return 1
	}
	defer closeLog.Close()
	// Libraries that use the standard log package (the simulator, net/http)
	// then log through the same handler, to the same place.
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()

	// SIGHUP reopens the audit log and reloads the API keys.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reconfigure := func() (*config.Config, error) { return config.Load(loadOpts) }

	if err := app.Run(ctx, app.Params{Config: cfg, Version: versionString(), Logger: log, Banner: stderr, Reload: hup, Reconfigure: reconfigure}); err != nil {
		// One line a user can act on, on stderr, whatever the logging: not a
		// log record next to the log records. A log file gets the record too.
		if cfg.LogFile != "" {
			log.Error("server stopped", "error", err)
		}
		// vCenter's fault texts can carry session ids; this line bypasses the scrubbing logger.
		fmt.Fprintf(stderr, "esxi-mcp-server: %s\n", redact.String(err.Error()))
		return 1
	}
	log.Info("server stopped")
	return 0
}

// joinedFlag recognises a flag and its value passed as one argument
// ("--transport stdio", as a client configuration's args list easily does)
// and says how to pass them, instead of the usage text.
func joinedFlag(fs *flag.FlagSet, args []string) string {
	for _, a := range args {
		if a == "--" {
			return ""
		}
		name, value, ok := strings.Cut(strings.TrimSpace(a), " ")
		if !ok || !strings.HasPrefix(name, "-") {
			continue
		}
		name = strings.TrimLeft(name, "-")
		if fs.Lookup(name) == nil {
			continue
		}
		value = strings.TrimSpace(value)
		return fmt.Sprintf("%q is one argument; pass the flag and its value as two (\"--%s\", \"%s\") or as one without a space (\"--%s=%s\")",
			a, name, value, name, value)
	}
	return ""
}

// flagKey maps a flag name to its configuration key.
func flagKey(name string) string {
	for _, k := range config.Keys() {
		if k.Flag == name {
			return k.Name
		}
	}
	return name
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
