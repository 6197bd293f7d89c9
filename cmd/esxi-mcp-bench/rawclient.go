package main

import (
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
		IsError           bool         `json:"isError"`
		ProtocolVersion   string       `json:"protocolVersion"`
		StructuredContent *pageContent `json:"structuredContent"`
	} `json:"result"`
}

// pageContent is the part of list_vms's structured content the load checks.
type pageContent struct {
	VMs   []struct{} `json:"vms"`
	Total int        `json:"total"`
}

func openRawSession(ctx context.Context, hc *http.Client, endpoint string) (*rawSession, error) {
	s := &rawSession{hc: hc, endpoint: endpoint}
	init := fmt.Sprintf(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"esxi-mcp-bench-load","version":"bench"}}}`, loadProtocolVersion)
	var buf bytes.Buffer
	body, header, err := s.post(ctx, init, 0, &buf)
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	var ans rpcAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("initialize: decoding the answer: %w", err)
	}
	if ans.Result == nil || ans.Result.ProtocolVersion != loadProtocolVersion {
		return nil, fmt.Errorf("initialize: the server did not accept protocol version %s", loadProtocolVersion)
	}
	s.id = header.Get("Mcp-Session-Id")
	if s.id == "" {
		return nil, errors.New("initialize: no Mcp-Session-Id in the answer")
	}
	if _, _, err := s.post(ctx, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, -1, &buf); err != nil {
		return nil, fmt.Errorf("notifications/initialized: %w", err)
	}
	return s, nil
}

// listVMs calls list_vms with a limit and checks the page it answers. buf
// holds the answer (one per caller, reused from call to call).
func (s *rawSession) listVMs(ctx context.Context, limit int, buf *bytes.Buffer) error {
	id := s.next.Add(1)
	body, _, err := s.post(ctx, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"list_vms","arguments":{"limit":%d}}}`, id, limit), id, buf)
	if err != nil {
		return err
	}
	return checkPage(body, id, limit)
}

// checkPage checks a list_vms answer to request id: no error, and a page of
// min(limit, total) VMs in its structured content. The answer also holds the
// page as a JSON text (the text content), which on this 2-core machine would
// cost the client about as much CPU to scan as it costs the server to send;
// so when the answer has the SDK's usual shape, with the structured content
// last, only the envelope and the structured content are read. Any other
// shape is decoded in full.
func checkPage(body []byte, id int64, limit int) error {
	sc, ok := structuredContent(body, id)
	if !ok {
		return checkPageDecoded(body, id, limit)
	}
	var page pageContent
	if err := json.Unmarshal(sc, &page); err != nil {
		return fmt.Errorf("list_vms: decoding the structured content: %w", err)
	}
	return page.check(limit)
}

// structuredContent returns the structured content of a successful answer
// to request id shaped as the SDK writes it, {"jsonrpc":"2.0","id":N,
// "result":{...,"structuredContent":{...}}} with nothing after the
// structured content; ok is false for any other answer.
func structuredContent(body []byte, id int64) (sc []byte, ok bool) {
	envelope := []byte(`{"jsonrpc":"2.0","id":` + strconv.FormatInt(id, 10) + `,"result":{`)
	key := []byte(`"structuredContent":`)
	at := bytes.Index(body, key)
	if !bytes.HasPrefix(body, envelope) || at < 0 {
		return nil, false
	}
	sc, ok = bytes.CutSuffix(body[at+len(key):], []byte("}}"))
	if !ok || !bytes.HasPrefix(sc, []byte("{")) || !bytes.HasSuffix(sc, []byte("}")) {
		return nil, false
	}
	return sc, true
}

// checkPageDecoded is checkPage by decoding the whole answer.
func checkPageDecoded(body []byte, id int64, limit int) error {
	var ans rpcAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return fmt.Errorf("list_vms: decoding the answer: %w", err)
	}
	switch {
	case string(ans.ID) != strconv.FormatInt(id, 10):
		return fmt.Errorf("list_vms: answer to request %s, want %d", ans.ID, id)
	case ans.Error != nil:
		return fmt.Errorf("list_vms: %s", ans.Error.Message)
	case ans.Result == nil || ans.Result.IsError || ans.Result.StructuredContent == nil:
		return fmt.Errorf("list_vms: a tool error or no structured content: %.300s", body)
	}
	return ans.Result.StructuredContent.check(limit)
}

func (p *pageContent) check(limit int) error {
	if len(p.VMs) != min(limit, p.Total) {
		return fmt.Errorf("list_vms: a page of %d VMs out of %d with limit %d", len(p.VMs), p.Total, limit)
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

// post sends one JSON-RPC message and returns the answer to it (request id
// id): a JSON body, or the data of the event of an event stream that
// carries it. A notification gets none. The answer is read into buf, which
// the returned body points into.
func (s *rawSession) post(ctx context.Context, msg string, id int64, buf *bytes.Buffer) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(msg))
	if err != nil {
		return nil, nil, err
	}
	s.headers(req)
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		// Read to the end, so that the connection is reused: a new one per
		// call would add its cost to what is measured.
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}()
	if resp.StatusCode == http.StatusAccepted {
		return nil, resp.Header, nil
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, nil, fmt.Errorf("HTTP %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	body := buf.Bytes()
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "text/event-stream" {
		if body, err = answerEvent(body, id); err != nil {
			return nil, nil, err
		}
	}
	return body, resp.Header, nil
}

// answerEvent returns the data of the event of a server-sent event stream
// that answers request id (events before it, such as notifications, are
// skipped). The data of a one-line event is returned in place.
func answerEvent(stream []byte, id int64) ([]byte, error) {
	want := []byte(`"id":` + strconv.FormatInt(id, 10) + `,`)
	var data []byte
	lines := 0 // data lines of the current event
	for len(stream) > 0 {
		line, rest, _ := bytes.Cut(stream, []byte("\n"))
		stream = rest
		line = bytes.TrimSuffix(line, []byte("\r"))
		if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			d = bytes.TrimPrefix(d, []byte(" "))
			if lines == 0 {
				data = d
			} else {
				data = append(append(append([]byte(nil), data...), '\n'), d...)
			}
			lines++
		} else if len(line) == 0 && lines > 0 {
			if bytes.Contains(data, want) {
				return data, nil
			}
			data, lines = nil, 0 // another message
		}
	}
	if lines > 0 && bytes.Contains(data, want) {
		return data, nil
	}
	return nil, fmt.Errorf("the stream ended without the answer to request %d: %w", id, io.ErrUnexpectedEOF)
}
