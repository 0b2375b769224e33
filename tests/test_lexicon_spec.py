"""Category and drug class of the schema's own examples (../shared/spec/imr-schema.md).

Every phrase below is one the schema's category and drug-class lists name; a request that
names it must be placed there by the rules (or the drug dictionary), not left to a model.
"""

from __future__ import annotations

import pytest

from llm_extract.rules.lexicon import classify

CATEGORY = [
    ("Ibuprofen 800mg #60", "pharmaceutical"),
    ("MRI of the lumbar spine", "diagnostic"),
    ("X-ray of the right wrist", "diagnostic"),
    ("Lab work: CBC", "diagnostic"),
    ("EMG/NCV of the bilateral lower extremities", "diagnostic"),
    ("Urine drug screen", "diagnostic"),
    ("Sleep study", "diagnostic"),
    ("Physical therapy 2x4", "rehabilitation"),
    ("Occupational therapy 6 visits", "rehabilitation"),
    ("Chiropractic manipulation 6 sessions", "rehabilitation"),
    ("Acupuncture 6 sessions", "rehabilitation"),
    ("Massage therapy", "rehabilitation"),
    ("Aquatic therapy 12 sessions", "rehabilitation"),
    ("Work hardening program 10 sessions", "rehabilitation"),
    ("Lumbar brace", "durable_medical_equipment"),
    ("TENS unit", "durable_medical_equipment"),
    ("EMS unit rental", "durable_medical_equipment"),
    ("Cold therapy unit", "durable_medical_equipment"),
    ("Hospital bed", "durable_medical_equipment"),
    ("Front-wheeled walker", "durable_medical_equipment"),
    ("Compression garments", "durable_medical_equipment"),
    ("Right shoulder arthroscopy", "surgery"),
    ("Lumbar fusion at L4-L5", "surgery"),
    ("Lumbar epidural steroid injection", "injection"),
    ("Facet injection at L4-5", "injection"),
    ("Trigger point injections", "injection"),
    ("Occipital nerve block", "injection"),
    ("Radiofrequency ablation at L3-L5", "injection"),
    ("Botox injections", "injection"),
    ("PRP injection to the right elbow", "injection"),
    ("Office visit", "evaluation_management"),
    ("Follow-up visit in 4 weeks", "evaluation_management"),
    ("Consultation with a spine surgeon", "evaluation_management"),
    ("Referral to a neurologist", "evaluation_management"),
    ("Functional capacity evaluation", "evaluation_management"),
    ("Functional restoration program", "program"),
    ("Multidisciplinary pain program", "program"),
    ("Detox program", "program"),
    ("Weight loss program", "program"),
    ("Psychotherapy 6 sessions", "behavioral_mental_health"),
    ("Cognitive behavioral therapy 6 sessions", "behavioral_mental_health"),
    ("Psychological evaluation", "behavioral_mental_health"),
    ("Psychological testing", "behavioral_mental_health"),
    ("Biofeedback 6 sessions", "behavioral_mental_health"),
    ("Home health aide 4 hours a day", "home_health"),
    ("Skilled nursing facility stay", "home_health"),
    ("Inpatient rehabilitation stay", "home_health"),
    ("Transportation to medical appointments", "home_health"),
]

DRUG_CLASS = [
    ("Tramadol 50mg #60", "opioid"),
    ("Buprenorphine 2mg #30", "opioid"),
    ("Baclofen 10mg #90", "muscle_relaxant"),
    ("Cyclobenzaprine 7.5mg #60", "muscle_relaxant"),
    ("Soma 350mg #60", "muscle_relaxant"),
    ("Tizanidine 4mg #60", "muscle_relaxant"),
    ("Methocarbamol 750mg #90", "muscle_relaxant"),
    ("Naproxen 550mg #60", "nsaid"),
    ("Lidocaine 5% patch #30", "topical"),
    ("Ketoprofen 20% cream 120g", "topical"),
    ("Gabapentin 600mg #90", "anticonvulsant"),
    ("Neurontin 300mg #90", "anticonvulsant"),
    ("Lyrica 75mg #60", "anticonvulsant"),
    ("Topiramate 50mg #60", "anticonvulsant"),
    ("Cymbalta 60mg #30", "antidepressant"),
    ("Amitriptyline 25mg #30", "antidepressant"),
    ("Sertraline 50mg #30", "antidepressant"),
    ("Alprazolam 0.5mg #30", "benzodiazepine"),
    ("Zolpidem 10mg #30", "sleep_aid"),
    ("Eszopiclone 3mg #30", "sleep_aid"),
    ("Omeprazole 20mg #60", "gastrointestinal"),
    ("Docusate 100mg #60", "gastrointestinal"),
    ("Senna 8.6mg #60", "gastrointestinal"),
    ("Ondansetron 4mg #10", "gastrointestinal"),
    # A brand no list here names, resolved through the maintained dictionary's generic name.
    ("Zorvolex 35mg #90", "nsaid"),
]


@pytest.mark.parametrize(("request_text", "category"), CATEGORY)
def test_category_of_the_schema_examples(request_text: str, category: str) -> None:
    found = classify(request_text)
    assert found is not None and found.category.value == category


@pytest.mark.parametrize(("request_text", "drug_class"), DRUG_CLASS)
def test_drug_class_of_the_schema_examples(request_text: str, drug_class: str) -> None:
    found = classify(request_text)
    assert found is not None and found.category.value == "pharmaceutical"
    assert found.drug_class is not None and found.drug_class.value == drug_class
