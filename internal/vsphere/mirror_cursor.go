package vsphere

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// A list_vms cursor names the walk it belongs to — the mirror version the
// walk began at (V) and the mirror (E) — the sort keys, as of that version,
// and the id of the last VM returned, and a fingerprint of the filters.
type cursorKey struct {
	V uint64 `json:"v"`
	E uint32 `json:"e"`
	N string `json:"n"`
	C int32  `json:"c,omitempty"`
	M int32  `json:"m,omitempty"`
	I string `json:"i"`
	F string `json:"f"`
}

func (f ListFilter) fingerprint() string {
	b, _ := json.Marshal(f)
	return fingerprint(b)
}

func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

func encodeCursor(k cursorKey) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, fp string, epoch uint32) (*cursorKey, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var k cursorKey
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil {
		return nil, fmt.Errorf("cursor is not one this server returned; call again without cursor")
	}
	if k.F != fp {
		return nil, fmt.Errorf("cursor belongs to a listing with other filters; pass the same filters or start again without cursor")
	}
	if k.E != epoch {
		return nil, fmt.Errorf("cursor belongs to an earlier run of the server; list again without cursor")
	}
	return &k, nil
}

// The placement-target lists (hosts, datastores, networks) page by name then
// id with a plain keyset cursor: they are short, and their objects are
// rarely renamed.
type nameCursor struct {
	N string `json:"n"`
	I string `json:"i"`
	F string `json:"f"`
}

// pageInfo is the paging part of a placement-target list.
type pageInfo struct {
	total      int
	truncated  bool
	nextCursor string
}

// pageByName returns the page of items (sorted by name then id) after cursor.
func pageByName[T any](items []T, key func(T) (name, id string), filter string, limit int, cursor string) ([]T, pageInfo, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, pageInfo{}, err
	}
	fp := fingerprint([]byte(filter))
	start := 0
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		var k nameCursor
		if err == nil {
			err = json.Unmarshal(b, &k)
		}
		if err != nil {
			return nil, pageInfo{}, fmt.Errorf("cursor is not one this server returned; call again without cursor")
		}
		if k.F != fp {
			return nil, pageInfo{}, fmt.Errorf("cursor belongs to a listing with another name filter; pass the same name or start again without cursor")
		}
		for start < len(items) {
			n, id := key(items[start])
			if byNameThenID(n, id, k.N, k.I) > 0 {
				break
			}
			start++
		}
	}
	end := min(start+limit, len(items))
	info := pageInfo{total: len(items)}
	if end < len(items) {
		n, id := key(items[end-1])
		b, _ := json.Marshal(nameCursor{N: n, I: id, F: fp})
		info.truncated, info.nextCursor = true, base64.RawURLEncoding.EncodeToString(b)
	}
	return items[start:end], info, nil
}
