package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// loadProtocolVersion is the MCP version the load clients negotiate: one
// whose requests carry nothing beyond JSON-RPC and the two headers.
const loadProtocolVersion = "2025-06-18"

// rawSession is a minimal MCP client over Streamable HTTP for the load phase:
// a real session (initialize, initialized, then tools/call requests with the
// session's headers), whose answers are checked but decoded no further than
// needed. The SDK's client decodes every answer into generic maps, which on
// a 2-core machine costs about as much CPU as the server's own work and would
// be measured as the server's; the per-operation timings use the SDK client.
type rawSession struct {
	hc       *http.Client
	endpoint string
	id       string // Mcp-Session-Id
	next     atomic.Int64
}

// rpcAnswer is the part of a JSON-RPC answer the load checks.
type rpcAnswer struct {
	ID     json.RawMessage           `json:"id"`
	Error  *struct{ Message string } `json:"error"`
	Result *struct {
		IsError           bool   `json:"isError"`
		ProtocolVersion   string `json:"protocolVersion"`
		StructuredContent *struct {
			VMs   []json.RawMessage `json:"vms"`
			Total int               `json:"total"`
		} `json:"structuredContent"`
	} `json:"result"`
}

func openRawSession(ctx context.Context, hc *http.Client, endpoint string) (*rawSession, error) {
	s := &rawSession{hc: hc, endpoint: endpoint}
	init := fmt.Sprintf(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"esxi-mcp-bench-load","version":"bench"}}}`, loadProtocolVersion)
	ans, header, _, err := s.post(ctx, init, 0)
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if ans.Result == nil || ans.Result.ProtocolVersion != loadProtocolVersion {
		return nil, fmt.Errorf("initialize: the server did not accept protocol version %s", loadProtocolVersion)
	}
	s.id = header.Get("Mcp-Session-Id")
	if s.id == "" {
		return nil, errors.New("initialize: no Mcp-Session-Id in the answer")
	}
	if _, _, _, err := s.post(ctx, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, -1); err != nil {
		return nil, fmt.Errorf("notifications/initialized: %w", err)
	}
	return s, nil
}

// listVMs calls list_vms with a limit and checks the page it answers.
func (s *rawSession) listVMs(ctx context.Context, limit int) error {
	id := s.next.Add(1)
	ans, _, body, err := s.post(ctx, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"list_vms","arguments":{"limit":%d}}}`, id, limit), id)
	switch {
	case err != nil:
		return err
	case string(ans.ID) != strconv.FormatInt(id, 10):
		return fmt.Errorf("list_vms: answer to request %s, want %d", ans.ID, id)
	case ans.Error != nil:
		return fmt.Errorf("list_vms: %s", ans.Error.Message)
	case ans.Result == nil || ans.Result.IsError || ans.Result.StructuredContent == nil:
		return fmt.Errorf("list_vms: a tool error or no structured content: %.300s", body)
	}
	if sc := ans.Result.StructuredContent; len(sc.VMs) != min(limit, sc.Total) {
		return fmt.Errorf("list_vms: a page of %d VMs out of %d with limit %d", len(sc.VMs), sc.Total, limit)
	}
	return nil
}

// close ends the session on the server.
func (s *rawSession) close(ctx context.Context) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.endpoint, nil)
	if err != nil {
		return
	}
	s.headers(req)
	if resp, err := s.hc.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}

func (s *rawSession) headers(req *http.Request) {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
		req.Header.Set("MCP-Protocol-Version", loadProtocolVersion)
	}
}

// post sends one JSON-RPC message and reads the answer to it (request id
// id): a JSON body, or the event of an event stream that carries it. A
// notification gets none.
func (s *rawSession) post(ctx context.Context, msg string, id int64) (rpcAnswer, http.Header, []byte, error) {
	var ans rpcAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(msg))
	if err != nil {
		return ans, nil, nil, err
	}
	s.headers(req)
	resp, err := s.hc.Do(req)
	if err != nil {
		return ans, nil, nil, err
	}
	defer func() {
		// Read to the end, so that the connection is reused: a new one per
		// call would add its cost to what is measured.
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}()
	if resp.StatusCode == http.StatusAccepted {
		return ans, resp.Header, nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return ans, nil, nil, fmt.Errorf("HTTP %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var body []byte
	if ct == "text/event-stream" {
		body, err = answerEvent(resp.Body, id)
	} else {
		body, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		return ans, nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return ans, nil, nil, fmt.Errorf("decoding the answer: %w", err)
	}
	return ans, resp.Header, body, nil
}

// answerEvent returns the data of the event of a server-sent event stream
// that answers request id (events before it, such as notifications, are
// skipped).
func answerEvent(r io.Reader, id int64) ([]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	want := []byte(`"id":` + strconv.FormatInt(id, 10) + `,`)
	var data []byte
	for {
		line, err := br.ReadBytes('\n')
		line = bytes.TrimRight(line, "\r\n")
		if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			data = append(data, bytes.TrimPrefix(d, []byte(" "))...)
		} else if len(line) == 0 && len(data) > 0 {
			if bytes.Contains(data, want) {
				return data, nil
			}
			data = nil // another message
		}
		if err != nil {
			if err == io.EOF && bytes.Contains(data, want) {
				return data, nil
			}
			if err == io.EOF {
				err = fmt.Errorf("the stream ended without the answer to request %d: %w", id, io.ErrUnexpectedEOF)
			}
			return nil, err
		}
	}
}
