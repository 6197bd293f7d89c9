package mcpserver

import (
	"encoding/json"
	"testing"
)

type inner struct {
	Tags []string `json:"tags"`
}

type outer struct {
	Items   []inner          `json:"items"`
	Ptr     *inner           `json:"ptr"`
	Nested  inner            `json:"nested"`
	Bytes   []byte           `json:"bytes,omitempty"`
	Skipped []int            `json:"skipped,omitempty"`
	Map     map[string]inner `json:"map"`
	hidden  []int
}

// TestNonNilSlices: nil slices anywhere in an answer marshal as [], a nil
// answer as the zero object; []byte and unexported fields are left alone.
func TestNonNilSlices(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nested", &outer{Items: []inner{{}}, Ptr: &inner{}}, `{"items":[{"tags":[]}],"ptr":{"tags":[]},"nested":{"tags":[]},"map":null}`},
		{"nil answer", (*outer)(nil), `{"items":[],"ptr":null,"nested":{"tags":[]},"map":null}`},
		{"value", outer{}, `{"items":[],"ptr":null,"nested":{"tags":[]},"map":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got any
			switch v := tt.in.(type) {
			case *outer:
				got = nonNilSlices(v)
			case outer:
				got = nonNilSlices(v)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
	_ = outer{}.hidden
}
