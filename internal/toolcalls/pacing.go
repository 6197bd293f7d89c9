package toolcalls

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Answer pacing. Once a tool has returned, the MCP SDK encodes its answer
// and writes it to the call's HTTP response; for a page of list_vms that is
// most of the CPU the call costs. With hundreds of calls answering at once,
// the Go scheduler interleaves those encodings: every answer holds its
// buffers while it waits for a CPU, and an unlucky one waits many times
// longer than the rest (measured: a p99 eight times the median). The Pacer
// lets a few answers be encoded and written at once, in the order their
// tools returned; the others wait, holding only their result, before their
// encoding starts.
//
// The SDK gives a middleware no hook after the encoding, so the two ends
// meet through the HTTP request: the HTTP layer marks each POST (Track) with
// a header that the SDK hands to the tool call (CallToolRequest.Extra.Header);
// the middleware takes a place once the tool has returned, and the HTTP layer
// gives it back when the response is next written to (the answer, encoded)
// or the request ends — or after maxHold, whichever comes first. A call
// without a mark (stdio, a batch) is not paced.

// PaceHeader carries a POST's mark from the HTTP layer to the tool call.
// Track sets it, replacing any value a client sent.
const PaceHeader = "X-Esxi-Mcp-Answer"

// Pacer bounds the answers being encoded and written at once.
type Pacer struct {
	places  chan struct{}
	marks   sync.Map // mark → *paced
	seq     atomic.Uint64
	waiting atomic.Int64 // answers waiting for a place now
	taken   atomic.Int64 // places taken so far
}

// maxHold bounds how long one answer keeps its place. Encoding even a 1 MiB
// answer takes milliseconds; a place still held after this is waiting on
// something else (its stream is busy with another message to a client that
// does not read), and must not make every other answer wait.
const maxHold = time.Second

// NewPacer paces answers n at a time (n < 1 means 1).
func NewPacer(n int) *Pacer {
	return &Pacer{places: make(chan struct{}, max(n, 1))}
}

// paced is one POST's state.
type paced struct {
	mu     sync.Mutex
	holds  bool          // a place is taken for this request's answer
	hold   *time.Timer   // gives the place back after maxHold
	closed chan struct{} // closed when the request has ended
}

// ended reports whether the request has ended.
func (st *paced) ended() bool {
	select {
	case <-st.closed:
		return true
	default:
		return false
	}
}

// Track marks an HTTP request that carries one JSON-RPC message (a batch is
// not paced: its answers share one stream, where one could wait on another
// while holding a place). written is to be called at every write of its
// response, done when it has ended.
func (p *Pacer) Track(r *http.Request) (written, done func()) {
	mark := strconv.FormatUint(p.seq.Add(1), 10)
	st := &paced{closed: make(chan struct{})}
	p.marks.Store(mark, st)
	r.Header.Set(PaceHeader, mark)
	written = func() { p.giveBack(st) }
	done = sync.OnceFunc(func() {
		close(st.closed)
		p.giveBack(st)
		p.marks.Delete(mark)
	})
	return written, done
}

func (p *Pacer) giveBack(st *paced) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.holds {
		st.holds = false
		st.hold.Stop()
		<-p.places
	}
}

// wait takes a place for the answer of the call whose HTTP request header is
// h, waiting in turn; it returns at once for an unmarked call, and when ctx
// or the request ends (the answer is then written without a place).
func (p *Pacer) wait(ctx context.Context, h http.Header) {
	if p == nil || h == nil {
		return
	}
	v, ok := p.marks.Load(h.Get(PaceHeader))
	if !ok {
		return
	}
	st := v.(*paced)
	st.mu.Lock()
	skip := st.ended() || st.holds
	st.mu.Unlock()
	if skip {
		return
	}
	p.waiting.Add(1)
	select {
	case p.places <- struct{}{}:
		p.waiting.Add(-1)
	case <-st.closed:
		p.waiting.Add(-1)
		return
	case <-ctx.Done():
		p.waiting.Add(-1)
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended() || st.holds {
		<-p.places // the request ended meanwhile, or holds one already
		return
	}
	st.holds = true
	st.hold = time.AfterFunc(maxHold, func() { p.giveBack(st) })
	p.taken.Add(1)
}

// InUse is the number of places taken now (answers being encoded and written).
func (p *Pacer) InUse() int { return len(p.places) }

// Waiting is the number of answers waiting for a place now.
func (p *Pacer) Waiting() int64 { return p.waiting.Load() }

// Paced is the number of answers that have taken a place so far.
func (p *Pacer) Paced() int64 { return p.taken.Load() }
