package logview

import (
	"bufio"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Style is how a column is drawn when colour is on.
type Style int

// Styles.
const (
	Plain Style = iota
	Dim
	Bold
)

func (s Style) wrap(text string) string {
	switch s {
	case Dim:
		return "\x1b[2m" + text + "\x1b[0m"
	case Bold:
		return "\x1b[1m" + text + "\x1b[0m"
	}
	return text
}

// Column describes one column of a Table. Widths are terminal cells: a Chinese character or
// an emoji takes two.
type Column struct {
	Header string
	Min    int   // at least this wide
	Max    int   // at most this wide (longer cells end in …); 0: no cap
	Right  bool  // right-aligned (numbers)
	Flex   bool  // takes the room left of Table.Width and is cut to it; at most one column
	Style  Style // with colour on
}

// gap is the space between columns.
const gap = "  "

// Table writes aligned rows. Widths are fixed at the first Flush from what has been added by
// then, so a stream (tail -f) flushed batch by batch stays aligned; later cells that do not fit
// are cut with "…". Cells are shown on one line: newlines become ⏎ and control characters
// (which could drive the terminal) are dropped.
type Table struct {
	Columns  []Column
	Width    int  // the terminal's width: the Flex column is cut to fit; 0: never cut it
	Color    bool // dim and bold styles, for terminals only
	NoHeader bool
	// Cond measures display width; nil: runewidth's default, which follows the locale.
	Cond *runewidth.Condition

	rows   [][]string
	widths []int // set at the first Flush
}

// Append adds a row; missing cells are empty.
func (t *Table) Append(cells ...string) {
	row := make([]string, len(t.Columns))
	for i := range row {
		if i < len(cells) {
			row[i] = OneLine(cells[i])
		}
	}
	t.rows = append(t.rows, row)
}

// Len is the number of rows added and not yet flushed.
func (t *Table) Len() int { return len(t.rows) }

func (t *Table) cond() *runewidth.Condition {
	if t.Cond != nil {
		return t.Cond
	}
	return runewidth.DefaultCondition
}

// layout fixes the column widths.
func (t *Table) layout() {
	c := t.cond()
	t.widths = make([]int, len(t.Columns))
	flex := -1
	for i, col := range t.Columns {
		w := max(col.Min, 0)
		if !t.NoHeader {
			w = max(w, c.StringWidth(col.Header))
		}
		for _, r := range t.rows {
			w = max(w, c.StringWidth(r[i]))
		}
		if col.Max > 0 {
			w = min(w, max(col.Max, col.Min))
		}
		t.widths[i] = w
		if col.Flex {
			flex = i
		}
	}
	if flex < 0 {
		return
	}
	if t.Width <= 0 {
		t.widths[flex] = -1 // never cut
		return
	}
	used := len(gap) * (len(t.widths) - 1)
	for i, w := range t.widths {
		if i != flex {
			used += w
		}
	}
	// On a narrow terminal the capped columns (names) give up cells, widest first, down to 8,
	// until the flex column (the text) has a third of the width.
	for want := min(t.widths[flex], t.Width/3); t.Width-used < want; used-- {
		widest := -1
		for i, col := range t.Columns {
			if i != flex && col.Max > 0 && t.widths[i] > max(col.Min, 8) && (widest < 0 || t.widths[i] > t.widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		t.widths[widest]--
	}
	t.widths[flex] = max(min(t.widths[flex], t.Width-used), 10)
}

// Flush writes the header (at the first Flush) and the rows added since the last Flush.
func (t *Table) Flush(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if t.widths == nil {
		t.layout()
		if !t.NoHeader {
			hdr := make([]string, len(t.Columns))
			for i, col := range t.Columns {
				hdr[i] = col.Header
			}
			t.writeRow(bw, hdr, true)
		}
	}
	for _, r := range t.rows {
		t.writeRow(bw, r, false)
	}
	t.rows = t.rows[:0]
	return bw.Flush()
}

func (t *Table) writeRow(w *bufio.Writer, cells []string, header bool) {
	c := t.cond()
	// The last non-empty cell ends the line: no trailing padding.
	last := len(cells) - 1
	for last > 0 && cells[last] == "" {
		last--
	}
	for i := 0; i <= last; i++ {
		col, width, cell := t.Columns[i], t.widths[i], cells[i]
		if i > 0 {
			w.WriteString(gap)
		}
		if width >= 0 && c.StringWidth(cell) > width {
			cell = c.Truncate(cell, width, "…")
		}
		pad := 0
		if width >= 0 {
			pad = max(width-c.StringWidth(cell), 0)
		}
		styled := cell
		if t.Color && !header && cell != "" {
			styled = col.Style.wrap(cell)
		}
		switch {
		case col.Right:
			w.WriteString(strings.Repeat(" ", pad))
			w.WriteString(styled)
		case i == last:
			w.WriteString(styled)
		default:
			w.WriteString(styled)
			w.WriteString(strings.Repeat(" ", pad))
		}
	}
	w.WriteByte('\n')
}

// OneLine shows text on one line: line breaks become ⏎, tabs a space, and other control
// characters (escape sequences in a message must not drive the terminal) are dropped.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			b.WriteRune('⏎')
		case r == '\t':
			b.WriteByte(' ')
		case isControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}
