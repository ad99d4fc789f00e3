"""The admin's CSV import format (programs.imports.formats): the dataset tablib would read."""

import pytest
import tablib
from tablib.core import InvalidDimensions

from programs.imports.formats import CSV, read_csv

FILES = {
    "a plain file": "a,b,c\n1,2,3\n4,5,6\n",
    "CRLF line ends and no final one": "a,b\r\n1,2\r\n3,4",
    "quoted commas and line breaks": 'a,b\n"x, y","two\nlines"\n',
    "blank lines left out": "a,b\n\n1,2\n\n\n3,4\n",
    "short rows padded": "a,b,c\n1\n2,3\n",
    "a blank first line: no headers": "\n1,2\n3\n",
    "a header only": "a,b\n",
    "an empty file": "",
}


@pytest.mark.parametrize("text", FILES.values(), ids=FILES.keys())
def test_a_file_is_read_as_tablib_reads_it(text):
    expected = tablib.import_set(text, format="csv")

    dataset = read_csv(text)

    assert (dataset.headers, dataset[:], dataset.width) == (
        expected.headers,
        expected[:],
        expected.width,
    )


@pytest.mark.parametrize("text", ["a,b\n1,2,3\n", "\n1,2\n3,4,5\n"])
def test_a_row_longer_than_the_first_is_refused_as_tablib_refuses_it(text):
    with pytest.raises(InvalidDimensions):
        tablib.import_set(text, format="csv")
    with pytest.raises(InvalidDimensions):
        read_csv(text)


def test_the_format_decodes_bytes_with_its_encoding():
    dataset = CSV(encoding="utf-8").create_dataset("name\nÉcole\n".encode())

    assert (dataset.headers, dataset[:]) == (["name"], [("École",)])
