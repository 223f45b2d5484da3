package scripttest

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestExampleScriptsPass(t *testing.T) {
	results, err := Run(context.Background(), "../testdata/scripts", Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 9 {
		t.Errorf("%d results, want 9", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s %s: %s", r.File, r.Name, r.Failure)
		}
	}
}

func TestFailuresNameFileAndLine(t *testing.T) {
	results, err := Run(context.Background(), "../testdata/failing", Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"test_passes":                "",
		"test_wrong_text":            `broken_test.lua:10: expected the script to send {text="goodbye"}, but the next message sent was "hello" to "测试群" (text is "hello")`,
		"test_script_error":          "broken_test.lua:13: the script failed during test_script_error: broken.lua:3: crashed on purpose (in hear ^crash$)",
		"test_expected_script_error": "",
		"test_eq":                    "broken_test.lua:23: lists: not equal:\n   got: {1, 2}\n  want: {1, 3}",
	}
	if len(results) != len(want) {
		t.Fatalf("%d results: %+v", len(results), results)
	}
	if !Failed(results) {
		t.Error("Failed() = false")
	}
	for _, r := range results {
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected test %s", r.Name)
			continue
		}
		if w == "" {
			if !r.Passed {
				t.Errorf("%s failed: %s", r.Name, r.Failure)
			}
			continue
		}
		if r.Passed || !strings.Contains(r.Failure, w) {
			t.Errorf("%s: failure\n%s\nwant it to contain\n%s", r.Name, r.Failure, w)
		}
	}
}
