"""A trainer's example lands in the real NLU files byte-exactly, checked and masked."""

import difflib
import shutil
import threading
from pathlib import Path
from typing import Dict

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.loading import load_data

from trainer.nlu_writer import (
    NEW_INTENTS_FILE,
    DuplicateExample,
    InvalidExample,
    WriteFailed,
    add_example,
    examples_of,
    intents,
)
from trainer.pii import MOBILE_PLACEHOLDER, ORDER_NO_PLACEHOLDER

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = Path("tests/data/nlu_heldout.yml")


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's NLU data, domain and held-out set."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "domain", tmp_path / "domain")
    (tmp_path / HELDOUT).parent.mkdir(parents=True)
    shutil.copy(ROOT / HELDOUT, tmp_path / HELDOUT)
    return tmp_path


def snapshot(project: Path) -> Dict[Path, bytes]:
    return {p.relative_to(project): p.read_bytes() for p in project.rglob("*.yml")}


def added_lines(before: bytes, after: bytes):
    """The lines ``after`` adds to ``before``; fails if it removes or changes any."""
    diff = list(difflib.ndiff(before.decode().splitlines(True), after.decode().splitlines(True)))
    assert not [d for d in diff if d.startswith("- ")]
    return [d[2:] for d in diff if d.startswith("+ ")]


def read_nlu(path: Path):
    return RasaYAMLReader().reads(path.read_text()).intent_examples


def test_only_the_new_line_is_added_and_rasa_reads_it_under_its_intent(project):
    before = snapshot(project)
    added = add_example(project, "cancel_order", "刚下的单 拍错颜色了 先给我取消掉")

    after = snapshot(project)
    changed = added.file.relative_to(project)
    assert changed == Path("data/nlu/cancel_order.yml") and not added.new_intent
    assert {p for p in after if after[p] != before[p]} == {changed} and after.keys() == before.keys()
    assert added_lines(before[changed], after[changed]) == ["    - 刚下的单 拍错颜色了 先给我取消掉\n"]
    assert any(m.get("text") == added.example and m.get("intent") == "cancel_order"
               for m in read_nlu(added.file))
    assert examples_of(project, "cancel_order")[-1] == added.example
    assert len(load_data(str(project / "data/nlu")).intent_examples) == \
        len(load_data(str(ROOT / "data/nlu")).intent_examples) + 1


def test_the_example_goes_to_the_end_of_its_block_not_the_files(project):
    path = project / "data/nlu/after_sales.yml"
    add_example(project, "refund_request", "这双鞋一穿就开胶 我要退")
    lines = path.read_text().splitlines()
    at = lines.index("    - 这双鞋一穿就开胶 我要退")
    assert lines[at + 1] == "" and lines[at + 2] == "- intent: refund_status"


def test_comments_blank_lines_and_other_blocks_survive(project):
    path = project / "data/nlu/regex.yml"
    path.write_text(path.read_text() + "\n# trainers' words for the order number\n- intent: zz_words\n"
                    "  examples: |\n    - 就是这个\n\n# closing comment\n- synonym: 订单\n  examples: |\n    - 单子\n")
    before = path.read_bytes()
    add_example(project, "zz_words", "对对 就是它")
    assert added_lines(before, path.read_bytes()) == ["    - 对对 就是它\n"]
    assert path.read_text().endswith("    - 对对 就是它\n\n# closing comment\n- synonym: 订单\n  examples: |\n    - 单子\n")


def test_the_blocks_own_indentation_and_a_missing_final_newline_are_kept(project):
    path = project / "data/nlu/zz_indented.yml"
    path.write_text('version: "3.1"\nnlu:\n  - intent: zz_indented\n    examples: |\n      - 第一句\n      - 第二句')
    add_example(project, "zz_indented", "第三句")
    assert path.read_text() == ('version: "3.1"\nnlu:\n  - intent: zz_indented\n    examples: |\n'
                                "      - 第一句\n      - 第二句\n      - 第三句")
    assert [m.get("text") for m in read_nlu(path)] == ["第一句", "第二句", "第三句"]


def test_a_faq_example_goes_to_its_key(project):
    added = add_example(project, "faq/free_shipping", "偏远地区也包邮吗 新疆那种")
    assert added.file.name == "faq.yml"
    assert any(m.get("intent_response_key") == "faq/free_shipping" and m.get("text") == added.example
               for m in read_nlu(added.file))
    assert "faq/free_shipping" in intents(project) and "faq" not in intents(project)


@pytest.mark.parametrize("text", [
    "我要退货", "  我要退货 ", "我要 退货", "我要退货！", "我要退货？~", "我要退货。", "我要退货!!",
])
def test_an_example_already_in_the_data_is_refused(project, text):
    with pytest.raises(DuplicateExample) as refused:
        add_example(project, "complaint", text)
    assert refused.value.code == "duplicate"
    assert refused.value.intent == "refund_request"
    assert refused.value.file == project / "data/nlu/after_sales.yml"


def test_width_and_case_do_not_make_an_example_new(project):
    with pytest.raises(DuplicateExample):
        add_example(project, "faq/seven_day_return", "７天无理由是从哪天开始算")
    add_example(project, "greet", "HELLO XIAOER")
    with pytest.raises(DuplicateExample):
        add_example(project, "greet", "ｈｅｌｌｏ  xiaoer")


def test_held_out_evaluation_examples_are_never_trained_on(project):
    with pytest.raises(DuplicateExample) as refused:
        add_example(project, "greet", "哈喽啊客服！")
    assert refused.value.code == "heldout" and refused.value.file == project / HELDOUT
    assert "evaluation" in str(refused.value)


def test_an_explicit_held_out_file_is_used(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("eval") / "heldout.yml"
    other.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 小二早呀\n')
    with pytest.raises(DuplicateExample) as refused:
        add_example(project, "greet", "小二早呀", heldout=other)
    assert refused.value.file == other
    assert add_example(project, "greet", "哈喽啊客服", heldout=other).example == "哈喽啊客服"


def test_personal_data_is_masked_before_it_is_written(project):
    added = add_example(project, "refund_status", "我手机13812345678 订单261201-671839457451100 退款到哪了")
    assert added.masked == ("phone", "order_no")
    assert added.example == f"我手机{MOBILE_PLACEHOLDER} 订单{ORDER_NO_PLACEHOLDER} 退款到哪了"
    text = added.file.read_text()
    assert "13812345678" not in text and "671839457451100" not in text


def test_masked_text_is_checked_for_duplicates(project):
    add_example(project, "refund_status", "13812345678 的退款呢")
    with pytest.raises(DuplicateExample):
        add_example(project, "refund_status", "13987654321 的退款呢")


@pytest.mark.parametrize("text", [
    "订单[261201-671839457451100](order_no)退款",
    '退[这个]{"entity": "order_no", "value": "1"}',
    '退[这个][{"entity": "color"}]',
])
def test_annotation_syntax_cannot_create_an_entity(project, text):
    added = add_example(project, "refund_request", text)
    assert "[" not in added.example
    message = next(m for m in read_nlu(added.file) if m.get("text") == added.example)
    assert not message.get("entities")


def test_a_new_intent_gets_a_block_and_a_domain_entry(project):
    domain_before = (project / "domain/base.yml").read_bytes()
    added = add_example(project, "ask_invoice_title", "发票抬头写公司名可以吗")

    assert added.new_intent and added.file == project / "data/nlu" / NEW_INTENTS_FILE
    text = added.file.read_text()
    assert text.startswith("# ") and 'version: "3.1"' in text
    assert [(m.get("intent"), m.get("text")) for m in read_nlu(added.file)] == \
        [("ask_invoice_title", "发票抬头写公司名可以吗")]
    assert added_lines(domain_before, (project / "domain/base.yml").read_bytes()) == ["  - ask_invoice_title\n"]
    assert "ask_invoice_title" in Domain.load(str(project / "domain")).intents
    assert "ask_invoice_title" in intents(project)

    again = add_example(project, "ask_invoice_title", "抬头能开个人吗")
    assert not again.new_intent and again.file == added.file
    assert examples_of(project, "ask_invoice_title") == ["发票抬头写公司名可以吗", "抬头能开个人吗"]
    assert (project / "domain/base.yml").read_text().count("ask_invoice_title") == 1


@pytest.mark.parametrize("intent, text, code", [
    ("Refund", "我要退货啊", "bad_intent"),
    ("r", "我要退货啊", "bad_intent"),
    ("refund-request", "我要退货啊", "bad_intent"),
    ("1refund", "我要退货啊", "bad_intent"),
    ("faq", "包邮吗亲亲", "needs_response_key"),
    ("faq/no_such_key", "包邮吗亲亲", "unknown_response_key"),
    ("greet", "  \u200b \t ", "empty"),
    ("greet", "你好\n我要退货", "multiline"),
    ("greet", "你好\u2028我要退货", "multiline"),
    ("greet", "好" * 201, "too_long"),
])
def test_bad_input_is_refused_with_a_code_and_nothing_changes(project, intent, text, code):
    before = snapshot(project)
    with pytest.raises(InvalidExample) as refused:
        add_example(project, intent, text)
    assert refused.value.code == code and refused.value.message
    assert snapshot(project) == before


def test_control_characters_are_dropped(project):
    added = add_example(project, "refund_request", "我要\u200b退\x07款\t啦  快点\n")
    assert added.example == "我要退款 啦 快点"


def test_a_write_rasa_cannot_read_back_is_undone(project):
    path = project / "data/nlu/zz_odd.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: zz_odd\n  examples: |\n    - 甲\n  examples: |\n    - 乙\n')
    before = path.read_bytes()
    with pytest.raises(WriteFailed) as failed:
        add_example(project, "zz_odd", "丙丙")
    assert failed.value.code == "not_read_back" and path.read_bytes() == before


def test_an_examples_list_it_cannot_edit_by_text_is_refused(project):
    path = project / "data/nlu/zz_list.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: zz_list\n  examples:\n  - text: 甲\n')
    with pytest.raises(WriteFailed) as failed:
        add_example(project, "zz_list", "丙丙")
    assert failed.value.code == "unsupported_layout"


def test_concurrent_trainers_both_land(project):
    texts = [("refund_request", f"第{n}次买这个牌子 这次质量不行 退了") for n in range(4)] + \
            [("track_logistics", f"第{n}个包裹怎么还没动") for n in range(4)]
    start = threading.Barrier(len(texts))
    errors = []

    def add(intent: str, text: str) -> None:
        start.wait()
        try:
            add_example(project, intent, text)
        except Exception as error:  # reported below with the others
            errors.append(error)

    threads = [threading.Thread(target=add, args=pair) for pair in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    for intent, text in texts:
        assert text in examples_of(project, intent)
