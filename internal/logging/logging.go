// Package logging sets up the process logger: log/slog to stderr or a file,
// never to stdout (which carries the MCP protocol in stdio mode).
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/esxi-mcp-server/esxi-mcp-server/internal/config"
)

// New returns a logger at level that writes to file (created with its parent
// directories) or, when file is empty, to stderr. The closer closes the file.
// Every line is scrubbed of vCenter session material (see Scrub).
func New(level, file string, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	lvl, err := config.ParseLogLevel(level)
	if err != nil {
		return nil, nil, fmt.Errorf("log_level: %w", err)
	}
	var w io.Writer = stderr
	var closer io.Closer = io.NopCloser(nil)
	if file != "" {
		if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
			return nil, nil, fmt.Errorf("creating the directory of log_file %s: %w", file, err)
		}
		f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("opening log_file %s: %w", file, err)
		}
		w, closer = f, f
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})
	return slog.New(Scrub(h)), closer, nil
}
