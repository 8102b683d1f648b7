package diag

import (
	"errors"
	"testing"
)

func TestListErrAndWarnings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		list     List
		isErr    bool
		text     string
		warnings int
	}{
		{"empty", nil, false, "", 0},
		{"warnings only are no error", List{{Path: "b.md", Line: 2, Field: "series", Msg: "one part", Warning: true}}, false, "", 1},
		{"sorted by path then line, warnings among the errors", List{
			{Path: "b.md", Line: 9, Msg: "late"},
			{Path: "a.md", Line: 10, Msg: "ten"},
			{Path: "b.md", Line: 2, Field: "series", Msg: "one part", Warning: true},
			{Path: "a.md", Line: 2, Field: "date", Msg: "required"},
			{Path: "a.md", Msg: "whole file"},
		}, true, "a.md: whole file\na.md:2: date: required\na.md:10: ten\nb.md:2: series: warning: one part\nb.md:9: late", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.list.Err()
			if (err != nil) != tc.isErr {
				t.Fatalf("Err() = %v, want error %v", err, tc.isErr)
			}
			if err != nil && err.Error() != tc.text {
				t.Errorf("Error():\n%s\nwant:\n%s", err, tc.text)
			}
			if n := len(tc.list.Warnings()); n != tc.warnings {
				t.Errorf("%d warnings, want %d", n, tc.warnings)
			}
			if err != nil {
				l, ok := As(errors.Join(errors.New("wrapped"), err))
				if !ok || l.Errors() != len(tc.list)-tc.warnings {
					t.Errorf("As: %v %v", l, ok)
				}
			}
		})
	}
}
