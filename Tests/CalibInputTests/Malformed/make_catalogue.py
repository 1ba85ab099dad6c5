#!/usr/bin/env python3
"""Writes the catalogue of malformed inputs and catalogue.tsv, which says for
each file the flags to pass, the exit code calib must give, the line its
error must name (or - when the problem is the file as a whole) and a part of
the message. The CLI tests run every entry; none may end by a signal.

Run: python3 Tests/CalibInputTests/Malformed/make_catalogue.py
"""
import gzip
import os

HERE = os.path.dirname(os.path.abspath(__file__))
entries = []


def write(name, data, exit_code, line, message, flags=""):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    entries.append((name, flags, str(exit_code), str(line), message))


good = "label,prob\n0,0.2\n1,0.8\n"
write("non_numeric_score.csv", "label,p_fraud\nfraud,0.5\nlegit,abc\n", 65, 3, "column 'p_fraud': \"abc\" is not a number")
write("nan_score.csv", "label,prob\n0,0.2\n1,NaN\n", 65, 3, "\"NaN\" is not a finite number")
write("infinity_score.csv", "label,prob\n0,inf\n", 65, 2, "\"inf\" is not a finite number")
write("infinite_logit.csv", "label,logit\n1,2.5\n0,-Infinity\n", 65, 3, "column 'logit': \"-Infinity\" is not a finite number")
write("overflowing_number.csv", "label,logit\n1,1e999\n", 65, 2, "\"1e999\" is not a finite number")
write("probability_above_one.csv", "label,prob\n0,0.2\n1,1.0000001\n", 65, 3, "\"1.0000001\" is not a probability in [0, 1]")
write("negative_probability.csv", "label,prob\n0,-0.1\n", 65, 2, "\"-0.1\" is not a probability in [0, 1]")
write("hex_float_score.csv", "label,prob\n1,0x1p-2\n", 65, 2, "\"0x1p-2\" is not a number")
write("whitespace_score.csv", "label,prob\n1,0.5\n0,   \n", 65, 3, "column 'prob': \"   \" is missing")
write("rows_not_summing.csv", "label,p_a,p_b,p_c\na,0.5,0.3,0.2\nb,0.5,0.3,0.1\n", 65, 3, "class probabilities sum to 0.9")
write("unknown_label.csv", "label,p_a,p_b,p_c\na,0.5,0.3,0.2\nd,0.5,0.3,0.2\n", 65, 3, "column 'label': \"d\" is not one of the classes ('a', 'b', 'c')")
write("third_binary_label.csv", "label,prob\n0,0.5\n1,0.4\n2,0.3\n", 65, 4, "\"2\" is not one of the classes ('0', '1')")
write("empty_label.csv", "label,prob\n1,0.5\n,0.3\n", 65, 3, "column 'label': \"\" is an empty label")
write("ragged_row_long.csv", "label,prob\n1,0.5\n0,0.3,extra\n", 65, 3, "row has 3 fields, the header has 2")
write("ragged_row_short.csv", "label,prob,weight\n1,0.5,1\n0,0.3\n", 65, 3, "row has 2 fields, the header has 3")
write("ragged_crlf.csv", "label,prob\r\n1,0.5\r\n0\r\n", 65, 3, "row has 1 fields, the header has 2")
write("missing_label_column.csv", "truth,prob\n1,0.5\n", 65, 1, "no label column")
write("missing_score_column.csv", "label,other\n1,0.5\n", 65, 1, "no score column")
write("duplicate_columns.csv", "label,prob,Prob\n1,0.5,0.5\n", 65, 1, "column 'Prob' appears twice in the header")
write("header_only.csv", "label,prob\n", 65, "-", "the file has a header but no data rows")
write("empty_file.csv", "", 65, "-", "the file is empty")
write("blank_lines_only.csv", "\n\n\r\n", 65, "-", "the file is empty")
write("binary_garbage.csv", bytes(range(256)) * 4, 65, 1, "looks binary")
write("unterminated_quote.csv", "label,prob\n1,0.5\n\"0,0.25\n1,0.5\n", 65, 3, "never closed (unterminated quote)")
write("garbage_after_quote.csv", "label,prob\n\"1\"x,0.5\n", 65, 2, "unexpected character after a closing quote")
write("negative_weight.csv", "label,prob,weight\n1,0.5,1\n0,0.3,-2\n", 65, 3, "column 'weight': \"-2\" is not a weight")
write("nan_weight.csv", "label,prob,weight\n1,0.5,nan\n", 65, 2, "column 'weight': \"nan\" is not a weight")
write("invalid_utf8_label.csv", b"label,p_caf\xc3\xa9,p_tea,p_mate\ntea,0.2,0.5,0.3\n\xff\xfe,0.5,0.25,0.25\n", 65, 3, "is not valid UTF-8 text")
write("invalid_utf8_header.csv", b"label,pr\xffob\n1,0.5\n", 65, 1, "the header is not valid UTF-8 text")
write("two_mb_line.csv", "label,prob\n1," + "9" * (2 << 20) + "\n", 65, 2, "a record longer than 1048576 bytes")
write("too_many_columns.csv", "label,prob," + ",".join(f"c{i}" for i in range(20_000)) + "\n", 65, 1, "the header has 20002 columns")
write("too_many_classes.csv", "label," + ",".join(f"p_{i}" for i in range(1_001)) + "\n", 65, 1, "1001 classes; at most 1000")
write("ambiguous_positive.csv", "label,prob\nham,0.1\nspam,0.9\n", 64, 2, "cannot tell the positive class")
write("ambiguous_score_columns.csv", "label,prob,score\n1,0.5,0.5\n", 64, "-", "cannot tell which columns hold the scores")
write("bad_json.jsonl", '{"label": 1, "prob": 0.5}\n{"label": 0, "prob": 0.2\n', 65, 2, "invalid JSON")
write("jsonl_nested_value.jsonl", '{"label": 1, "prob": 0.5}\n{"label": 0, "prob": [0.2]}\n', 65, 2, "nested objects and arrays are not table values")
write("jsonl_not_object.jsonl", '[1, 0.5]\n', 65, 1, "a line must hold one object")

# Issue 11: labels match a class only by its spelling (never by numeric value;
# these once crashed or merged into class 1), NUL bytes, duplicate JSON keys,
# UTF-16, every missing column at once, and huge names cut in messages.
multi = "label,p_0,p_1\n0,0.9,0.1\n"
look_alikes = {
    "1e300": "1e300", "inf": "inf", "nan": "nan", "1e19": "1e19", "minus_1e19": "-1e19", "1.0": "1.0", "1e0": "1e0",
    "plus_1": "+1", "01": "01", "0x1": "0x1", "0.99999999999999999999": "0.99999999999999999999", "1e-400": "1e-400",
}
for name, label in look_alikes.items():
    write(f"label_{name}.csv", multi + f"{label},0.2,0.8\n", 65, 3, f"column 'label': \"{label}\" is not one of the classes ('0', '1')")
write("label_1e300.jsonl", '{"label": 0, "p_0": 0.9, "p_1": 0.1}\n{"label": 1e300, "p_0": 0.2, "p_1": 0.8}\n', 65, 2,
      "column 'label': \"1e300\" is not one of the classes ('0', '1')")
write("label_1e300_skipped.csv", "label,p_0,p_1\n1e300,0.2,0.8\ninf,0.2,0.8\n", 65, "-",
      "no valid rows: all 2 data rows were skipped as invalid", "--on-invalid skip")
write("label_1e300_classes.csv", "label,a,b\n0,0.9,0.1\n1e300,0.2,0.8\n", 65, 3, "\"1e300\" is not one of the classes ('0', '1')",
      "--classes 0,1 --prob a,b")
write("binary_label_1.0_first.csv", "label,prob\n1.0,0.3\n0,0.2\n", 64, 2, "cannot tell the positive class from the label \"1.0\"")
write("binary_label_1.0_after_0.csv", "label,prob\n0,0.3\n1.0,0.8\n", 65, 3, "column 'label': \"1.0\" is not one of the classes ('0', '1')")
write("binary_label_plus_1_positive.csv", "label,prob\n1,0.3\n0,0.2\n+1,0.8\n", 65, 4, "\"+1\" is not one of the classes ('0', '1')", "--positive 1")
write("nul_label.csv", multi + "1\0zzz,0.2,0.8\n", 65, 3, "column 'label': \"1\\u{0}zzz\" holds a NUL byte")
write("nul_id.csv", "label,prob,id\n0,0.3,a\n1,0.8,b\0\n", 65, 3, "column 'id': \"b\\u{0}\" holds a NUL byte")
write("nul_group.csv", "label,prob,g\n0,0.3,a\n1,0.8,\0\n", 65, 3, "column 'g': \"\\u{0}\" holds a NUL byte", "--group g")
write("nul_score.csv", "label,prob\n0,0.3\n1,0.8\0\n", 65, 3, "column 'prob': \"0.8\\u{0}\" holds a NUL byte")
write("nul_weight.csv", "label,prob,weight\n0,0.3,1\n1,0.8,\x001\n", 65, 3, "column 'weight': \"\\u{0}1\" holds a NUL byte")
write("nul_label_escape.jsonl", '{"label": 0, "prob": 0.3}\n{"label": "1\\u0000zzz", "prob": 0.8}\n', 65, 2,
      "column 'label': \"1\\u{0}zzz\" holds a NUL byte")
write("jsonl_duplicate_key.jsonl", '{"label": 1, "prob": 0.5}\n{"label": 0, "prob": 0.2, "prob": 0.9}\n', 65, 2,
      "the key 'prob' appears twice in the object")
write("jsonl_duplicate_key_first.jsonl", '{"label": 1, "label": 0, "prob": 0.5}\n', 65, 1,
      "cannot read the first object: the key 'label' appears twice in the object")
write("utf16_le_bom.csv", b"\xff\xfe" + "label,prob\n1,0.5\n".encode("utf-16-le"), 65, "-",
      "the file is UTF-16 (little-endian, byte-order mark FF FE) text; calib reads UTF-8")
write("utf16_be_bom.csv", b"\xfe\xff" + "label,prob\n1,0.5\n".encode("utf-16-be"), 65, "-",
      "the file is UTF-16 (big-endian, byte-order mark FE FF) text; calib reads UTF-8")
write("utf16_le_no_bom.tsv", "label\tprob\n1\t0.5\n".encode("utf-16-le"), 65, "-",
      "the file is UTF-16 (little-endian, no byte-order mark: every other byte is NUL) text")
write("utf16_le_bom.jsonl", b"\xff\xfe" + '{"label": 1, "prob": 0.5}\n'.encode("utf-16-le"), 65, "-",
      "the file is UTF-16 (little-endian, byte-order mark FF FE) text")
write("missing_label_and_score_columns.csv", "truth,confidence\n1,0.5\n", 65, 1,
      "no label column (none of 'label', 'y', 'y_true', 'target', 'class', 'actual'); no score column (none of 'prob'")
write("missing_flag_columns.csv", "label,prob\n1,0.5\n", 65, 1,
      "no column 'truth' (given by --label); no column 'w' (given by --weight); no column 'country' (given by --group); the header's columns: 'label', 'prob'",
      "--label truth --weight w --group country")
write("semicolons_named_tsv.tsv", "id;label;p_spam\na;ham;0.1\n", 65, 1, "the header's columns: 'id;label;p_spam'")
write("huge_class_name.csv", "label,p_" + "x" * 100_000 + ",p_b,p_c\nz,0.2,0.3,0.5\n", 65, 2,
      "is not one of the classes ('" + "x" * 60 + "…', 'b', 'c')")
write("huge_column_name.csv", "label," + "y" * 100_000 + "\n1,0.5\n", 65, 1, "the header's columns: 'label', '" + "y" * 60 + "…'")
write("huge_positive_class.csv", "label,p_a,p_b\na,0.2,0.8\n", 64, "-", "the positive class '" + "q" * 60 + "…' is not one of the classes ('a', 'b')",
      "--positive " + "q" * 900)

with open(os.path.join(HERE, "truncated.csv.gz"), "wb") as f:
    whole = gzip.compress(("label,prob\n" + "".join(f"{i % 2},0.{i:06d}\n" for i in range(20_000))).encode(), mtime=0)
    f.write(whole[: len(whole) // 2])
entries.append(("truncated.csv.gz", "", "65", "-", "the gzip data ends early"))
with open(os.path.join(HERE, "corrupt.csv.gz"), "wb") as f:
    whole = bytearray(gzip.compress(good.encode() * 50, mtime=0))
    whole[20:40] = b"\x00" * 20
    f.write(bytes(whole))
entries.append(("corrupt.csv.gz", "", "65", "-", "the gzip data is corrupt"))

with open(os.path.join(HERE, "catalogue.tsv"), "w") as f:
    f.write("file\tflags\texit\tline\tmessage\n")
    for entry in entries:
        f.write("\t".join(entry) + "\n")
print(f"{len(entries)} malformed inputs")
