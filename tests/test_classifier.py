"""The TF-IDF logistic-regression intent classifier: weighting, training, persistence, prediction."""
import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfTransformer

from bot.classifier import TfidfLogisticRegressionClassifier, inverse_document_frequency, weigh
from bot.components import VietnameseTokenizer


def test_weighting_matches_scikit_learn_tfidf():
    rng = np.random.default_rng(3)
    counts = csr_matrix(rng.poisson(0.4, size=(40, 25)).astype(float))
    expected = TfidfTransformer(sublinear_tf=True).fit_transform(counts).toarray()
    ours = weigh(counts, inverse_document_frequency(counts)).toarray()
    assert np.allclose(ours, expected)
    # Rows are unit length; an empty row stays empty instead of dividing by zero.
    empty = csr_matrix((1, 25))
    assert weigh(empty, inverse_document_frequency(counts)).nnz == 0


def test_weighting_refuses_features_of_another_size():
    counts = csr_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError):
        weigh(counts, np.ones(4))


EXAMPLES = {
    "wage_arrears": ["công ty nợ lương 2 tháng", "cty no luong ko tra", "chủ quỵt lương công nhân",
                     "bị nợ tiền lương thì đòi ở đâu", "cong ty cham tra luong"],
    "maternity": ["nghỉ thai sản mấy tháng", "tien thai san bao nhieu", "vợ sinh con chồng nghỉ mấy ngày",
                  "sinh con được trợ cấp gì", "nghi sinh duoc bao lau"],
    "hi_household": ["bhyt hộ gia đình bao nhiêu tiền", "mua bhyt cho cả nhà 4 người", "bao hiem y te ho gia dinh",
                     "mức đóng bhyt hộ gia đình", "nha toi 3 nguoi mua bhyt het bao nhieu"],
}


@pytest.fixture()
def pipeline(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "use_lemma": True}, storage, Resource("cvf"), context
    )
    messages = [Message({"text": t, "intent": i}) for i, texts in EXAMPLES.items() for t in texts]
    data = TrainingData(messages)
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)

    def featurize(text):
        message = Message({"text": text})
        tokenizer.process([message])
        featurizer.process([message])
        return message

    return storage, context, data, featurize


def test_trains_persists_loads_and_predicts(pipeline):
    storage, context, data, featurize = pipeline
    config = TfidfLogisticRegressionClassifier.get_default_config()
    resource = Resource("clf")
    clf = TfidfLogisticRegressionClassifier.create(config, storage, resource, context)
    clf.train(data)

    loaded = TfidfLogisticRegressionClassifier.load(config, storage, resource, context)
    assert np.array_equal(loaded.idf, clf.idf)
    for text, intent in [("công ty nợ lương tôi 3 tháng", "wage_arrears"),
                         ("toi sap sinh con, nghi thai san duoc may thang", "maternity"),
                         ("mua bảo hiểm y tế hộ gia đình cho 5 người", "hi_household")]:
        message = featurize(text)
        loaded.process([message])
        assert message.get("intent")["name"] == intent, text
        ranking = message.get("intent_ranking")
        assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6
        assert ranking[0]["confidence"] > 0.5


def test_untrained_classifier_leaves_messages_alone(pipeline):
    storage, context, _, featurize = pipeline
    config = TfidfLogisticRegressionClassifier.get_default_config()
    clf = TfidfLogisticRegressionClassifier.create(config, storage, Resource("empty"), context)
    clf.train(TrainingData([]))
    loaded = TfidfLogisticRegressionClassifier.load(config, storage, Resource("empty"), context)
    message = featurize("công ty nợ lương")
    loaded.process([message])
    assert message.get("intent") is None


def test_a_message_is_cut_into_its_questions():
    from bot.classifier import split_questions
    from bot.questions import is_question
    from bot.components import VietnameseTokenizer

    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    text = "đóng bhxh tự nguyện mỗi tháng bao nhiêu và đăng ký ở đâu?"
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    spans = split_questions(text, tokens, 2)
    assert len(spans) == 2
    first, second = ({"text": text[tokens[a].start:tokens[b - 1].end], "end": tokens[b - 1].end} for a, b in spans)
    assert first["text"].endswith("bao nhiêu") and second["text"].startswith("và đăng ký")
    assert is_question(text, first) and is_question(text, second)
    # A story's context is not a question of its own.
    story = "tôi làm công nhân được 3 năm. công ty nợ lương 2 tháng thì tôi phải làm sao?"
    tokens = tokenizer.tokenize(Message(data={"text": story}), "text")
    parts = [{"text": story[tokens[a].start:tokens[b - 1].end], "end": tokens[b - 1].end} for a, b in split_questions(story, tokens, 2)]
    assert [is_question(story, p) for p in parts] == [False, True]
    # "mấy" asks; "may" (to sew) does not, and without diacritics "may" asks only where "mấy" would stand.
    sewing = {"text": "Tôi làm công nhân may ở Bình Dương", "end": 34}
    assert not is_question(sewing["text"] + ".", sewing)
    assert not is_question("toi lam cong nhan may o binh duong", {"text": "toi lam cong nhan may o binh duong", "end": 34})
    assert is_question("nghỉ thai sản được mấy tháng", {"text": "nghỉ thai sản được mấy tháng", "end": 28})
    assert is_question("nghi thai san dc may thang", {"text": "nghi thai san dc may thang", "end": 26})
    # One question is not cut.
    one = "nhà tôi 3 người mua bhyt hết bao nhiêu"
    tokens = tokenizer.tokenize(Message(data={"text": one}), "text")
    assert split_questions(one, tokens, 2) == [(0, len(tokens))]


# --- the classifier that also reads the whole folded text ----------------------------------------------

def test_the_combined_classifier_trains_persists_loads_and_predicts(pipeline):
    from bot.classifier import FoldedTextClassifier

    storage, context, data, featurize = pipeline
    config = FoldedTextClassifier.get_default_config()
    clf = FoldedTextClassifier.create(config, storage, Resource("combined"), context)
    clf.train(data)
    loaded = FoldedTextClassifier.load(config, storage, Resource("combined"), context)
    story = ("Tôi làm công nhân may ở Bình Dương được ba năm, vợ tôi ở quê trông con. Từ đầu năm đến nay "
             "công ty chậm trả, đến giờ vẫn nợ lương chúng tôi hai tháng. Xin hỏi chúng tôi phải làm gì?")
    for text, intent in [("cty no luong e 3 thang", "wage_arrears"), (story, "wage_arrears"),
                         ("nghi thai san dc may thang", "maternity"), ("mua bhyt ho gd cho 5 ng", "hi_household")]:
        fresh, again = featurize(text), featurize(text)
        clf.process([fresh])
        loaded.process([again])
        assert again.get("intent")["name"] == intent, text
        assert again.get("intent_ranking") == fresh.get("intent_ranking")  # the loaded model is the trained one
        assert abs(sum(r["confidence"] for r in again.get("intent_ranking")) - 1.0) < 1e-6
    # A story's asking sentence is read on its own as well; a one-sentence question has no such part.
    told = featurize(story)
    loaded.process([told])
    assert told.get("question")["text"] == "Xin hỏi chúng tôi phải làm gì"  # the asking sentence alone
    assert told.get("question")["intent"] in set(loaded.clf.classes_)
    short = featurize("cty no luong e 3 thang")
    loaded.process([short])
    assert short.get("question") is None


def test_the_text_model_weighs_more_the_longer_the_message():
    from bot.classifier import FoldedTextClassifier

    config = FoldedTextClassifier.get_default_config()
    clf = FoldedTextClassifier(config, "c", None, Resource("w"))
    short, medium = clf.text_weight("ho gd"), clf.text_weight("tôi làm công nhân may, công ty nợ lương hai tháng rồi")
    long_story = clf.text_weight(" ".join(["chữ"] * 60))
    assert short == pytest.approx(config["text_weight_min"])
    assert short < medium < long_story == pytest.approx(config["text_weight_max"])


def test_folded_text_features_ignore_accents_and_case_and_round_trip(tmp_path):
    from bot.classifier import FoldedTextFeatures

    features = FoldedTextFeatures()
    X = features.fit_transform(["Công ty nợ lương", "bảo hiểm y tế hộ gia đình", "nghỉ thai sản"])
    assert X.shape[0] == 3 and np.allclose(np.sqrt(X.multiply(X).sum(axis=1)), 1.0)
    a, b = features.transform(["CÔNG TY NỢ LƯƠNG", "cong ty no luong"])
    assert abs(a - b).sum() < 1e-9
    features.save(tmp_path)
    again = FoldedTextFeatures.read(tmp_path)
    assert abs(again.transform(["cty no luong"]) - features.transform(["cty no luong"])).sum() < 1e-9


def test_the_fast_probabilities_are_scikit_learns():
    """bot.classifier.predict_proba: scikit-learn's numbers for multinomial, one-vs-rest and binary models,
    recomputed when the model is fitted again."""
    import numpy as np
    from scipy.sparse import random as sparse_random
    from sklearn.linear_model import LogisticRegression

    from bot.classifier import predict_proba

    rng = np.random.default_rng(3)
    X = sparse_random(60, 400, density=0.05, format="csr", random_state=4)
    for classes, kwargs in ((5, {}), (5, {"multi_class": "ovr"}), (2, {}), (4, {"solver": "liblinear"})):
        y = rng.integers(0, classes, 60)
        model = LogisticRegression(max_iter=500, **kwargs).fit(X, y)
        assert np.allclose(predict_proba(model, X[:7]), model.predict_proba(X[:7]), atol=1e-12)
        model.fit(X, (y + 1) % classes)  # new coefficients: not the cached ones
        assert np.allclose(predict_proba(model, X[:3]), model.predict_proba(X[:3]), atol=1e-12)
