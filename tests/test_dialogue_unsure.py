"""When the classifier is unsure: a long question gets the best guess and the other likely topics as
buttons; a short fragment gets the question between the likely topics; nothing likely gets the menu."""
import datetime as dt

from actions.dialogue import Turn, respond
from actions.state import DialogueState
from knowledge import content

DAY = dt.date(2026, 12, 1)
RANKING = [{"name": "nlu_fallback", "confidence": 0.8}, {"name": "vsi_registration", "confidence": 0.18},
           {"name": "vsi_contribution", "confidence": 0.16}, {"name": "greet", "confidence": 0.05}]
LONG = "tôi làm nghề tự do đã lâu rồi mà chưa biết phải làm những gì để có được bảo hiểm cho tuổi già"


def test_a_long_unsure_question_gets_the_best_guess_and_the_others_as_buttons():
    reply = respond(Turn("nlu_fallback", LONG, [], DialogueState(), DAY, RANKING))
    assert reply.texts[0].startswith(content.render("vsi_registration", DAY).text.split("\n")[0])
    assert reply.answered == ["vsi_registration"]
    titles = [b.title for m in reply.messages[1:] for b in m.buttons]
    assert "Đóng bao nhiêu tiền?" in titles and "Gặp cán bộ tư vấn" in titles


STORY = ("tôi bán rau ngoài chợ, nhà có mấy đứa nhỏ đang đi học, thu vén cũng vất vả. "
         "nay tôi muốn tham gia bảo hiểm tự nguyện. tôi có được nhà nước hỗ trợ tiền đóng không?")


def test_an_unsure_story_is_answered_by_its_question_read_alone():
    question = {"text": "tôi có được nhà nước hỗ trợ tiền đóng không?", "intent": "vsi_subsidy", "confidence": 0.7}
    reply = respond(Turn("nlu_fallback", STORY, [], DialogueState(), DAY, RANKING, question=question))
    assert reply.answered[0] == "vsi_subsidy"
    # The story's own likely topics stay offered beside it.
    titles = [b.target for m in reply.messages[1:] for b in m.buttons]
    assert "vsi_registration" in titles


def test_an_unsure_reading_of_the_question_does_not_override_the_guess():
    question = {"text": "tôi có được nhà nước hỗ trợ tiền đóng không?", "intent": "vsi_subsidy", "confidence": 0.3}
    reply = respond(Turn("nlu_fallback", STORY, [], DialogueState(), DAY, RANKING, question=question))
    assert reply.answered == ["vsi_registration"]
    below = {**question, "confidence": 0.25}
    unsure = respond(Turn("vsi_registration", STORY, [], DialogueState(), DAY, RANKING, question=below))
    assert unsure.answered == ["vsi_registration"]  # the whole message's reading stands beside an unsure question
    # Between 0.3 and 0.5 the question counts only when it is surer than the whole message (0.18 here).
    surer = respond(Turn("vsi_registration", STORY, [], DialogueState(), DAY, RANKING, question=question))
    assert surer.answered == ["vsi_subsidy", "vsi_registration"]
    sure_whole = [{"name": "vsi_registration", "confidence": 0.45}] + RANKING[2:]
    assert respond(Turn("vsi_registration", STORY, [], DialogueState(), DAY, sure_whole, question=question)).answered == [
        "vsi_registration"]


def test_a_story_pulled_to_its_context_also_answers_its_sure_question_first():
    sure = {"text": "tôi có được nhà nước hỗ trợ tiền đóng không?", "intent": "vsi_subsidy", "confidence": 0.9}
    reply = respond(Turn("vsi_registration", STORY, [], DialogueState(), DAY, RANKING, question=sure))
    assert reply.answered == ["vsi_subsidy", "vsi_registration"] and reply.topic == "several"
    assert sum(len(m.text) for m in reply.messages) <= 1200
    # Not in the middle of a calculation: the step being asked goes on.
    busy = DialogueState(calc="vsi", asked="income")
    reply = respond(Turn("vsi_registration", STORY, [], busy, DAY, RANKING, question=sure))
    assert "vsi_subsidy" not in reply.answered


def test_an_unsure_story_asking_two_things_gets_both():
    segments = [{"text": "có được đóng bù không", "intent": "vsi_back_pay", "confidence": 0.6},
                {"text": "mức đóng thế nào", "intent": "vsi_contribution", "confidence": 0.7}]
    reply = respond(Turn("nlu_fallback", STORY, [], DialogueState(), DAY, RANKING, segments))
    assert reply.answered == ["vsi_back_pay", "vsi_contribution"]


def test_a_short_unsure_fragment_is_asked_which_topic():
    reply = respond(Turn("nlu_fallback", "bảo hiểm cho tuổi già", [], DialogueState(), DAY, RANKING))
    assert reply.topic == "clarify" and not reply.answered
    assert [b.target for b in reply.messages[0].buttons][:2] == ["vsi_registration", "vsi_contribution"]


def test_nothing_likely_gets_the_menu():
    ranking = [{"name": "nlu_fallback", "confidence": 0.9}, {"name": "greet", "confidence": 0.05}]
    reply = respond(Turn("nlu_fallback", LONG, [], DialogueState(), DAY, ranking))
    assert reply.topic == "fallback" and len(reply.messages[0].buttons) >= 4


# --- siblings: a general answer and its specific answers ---------------------------------------------------

SIBLINGS = [{"name": "dismissal", "confidence": 0.46}, {"name": "dismissal_absence", "confidence": 0.40},
            {"name": "wage_arrears", "confidence": 0.08}]


def test_a_close_sibling_is_offered_under_the_answer():
    reply = respond(Turn("dismissal", "tôi bị công ty cho nghỉ việc có đúng không", [], DialogueState(), DAY, SIBLINGS))
    assert reply.answered == ["dismissal"]
    assert reply.messages[0].buttons[0].target == "dismissal_absence"


def test_a_distant_sibling_or_another_family_is_not_offered():
    far = [{"name": "dismissal", "confidence": 0.80}, {"name": "dismissal_absence", "confidence": 0.12},
           {"name": "wage_arrears", "confidence": 0.05}]
    reply = respond(Turn("dismissal", "tôi bị công ty cho nghỉ việc có đúng không", [], DialogueState(), DAY, far))
    assert "dismissal_absence" not in [b.target for b in reply.messages[0].buttons]
    other = [{"name": "dismissal", "confidence": 0.46}, {"name": "wage_arrears", "confidence": 0.44}]
    reply = respond(Turn("dismissal", "tôi bị công ty cho nghỉ việc có đúng không", [], DialogueState(), DAY, other))
    assert "wage_arrears" not in [b.target for b in reply.messages[0].buttons][:1]
