package wx

import (
	"strconv"
	"testing"
)

// TestIDWindow: the window remembers exactly the last n ids, and holds no room it has not
// used.
func TestIDWindow(t *testing.T) {
	w := newIDWindow(3)
	if len(w.ring) != 0 || cap(w.ring) > 0 {
		t.Fatalf("an empty window holds %d slots", cap(w.ring))
	}
	for i := 1; i <= 5; i++ {
		w.add(strconv.Itoa(i))
		w.add(strconv.Itoa(i)) // a duplicate changes nothing
	}
	w.add("")
	for i := 1; i <= 5; i++ {
		if got, want := w.has(strconv.Itoa(i)), i > 2; got != want {
			t.Errorf("has(%d) = %v, want %v", i, got, want)
		}
	}
	if len(w.set) != 3 || len(w.ring) != 3 || w.has("") {
		t.Errorf("window holds %d ids in %d slots", len(w.set), len(w.ring))
	}
}
