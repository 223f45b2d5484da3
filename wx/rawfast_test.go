package wx

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestDecodeRawMessageFixtures: every fixture entry takes the one-pass path and decodes as
// encoding/json decodes it; the cases it must leave to encoding/json do so.
func TestDecodeRawMessageFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var fast, slow RawMessage
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !decodeRawMessage(data, &fast) {
			t.Errorf("%s: left to encoding/json", file)
		} else if fast != slow {
			t.Errorf("%s:\n fast %+v\n slow %+v", file, fast, slow)
		}
	}
	for _, entry := range []string{
		`{"msgid":"1"}`,                // a key that matches only ignoring case
		`{"MsgType":1.5}`,              // not an integer
		`{"MsgType":"1"}`,              // a string where a number goes
		`{"Content":"\ud83d"}`,         // a lone surrogate
		`{"Content":"` + "\xff" + `"}`, // invalid UTF-8
		`{"CreateTime":99999999999999999999}`,
		`null`,
	} {
		var m RawMessage
		if decodeRawMessage([]byte(entry), &m) {
			t.Errorf("%s: decoded by the one-pass path, should be left to encoding/json", entry)
		}
	}
}
