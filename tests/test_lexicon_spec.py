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


# Beyond the schema's own words: how requests are written in practice. Each case names the
# schema rule it follows; none is copied from a fixture letter.
PRACTICE = [
    # "referrals to a specialist" and consultations are evaluation and management, whatever
    # the specialist or the purpose ("psychological evaluation" stays behavioural)
    ("Consultation with a psychiatrist for medication management", "evaluation_management", None),
    ("Spine surgery consultation for possible fusion", "evaluation_management", None),
    ("Psychological consultation", "behavioral_mental_health", None),
    ("Pre-operative history and physical", "evaluation_management", None),
    # home health includes transportation, even to surgery
    ("Transportation to and from surgery", "home_health", None),
    # operations and their stays; equipment
    ("Open reduction internal fixation of the left ankle", "surgery", None),
    ("Associated surgical service: Crutches", "durable_medical_equipment", None),
    ("Gym membership for 6 months", "other", None),
    # clerks' spellings one letter off a listed drug or service
    ("Cyclobenzaprin 10mg #30", "pharmaceutical", "muscle_relaxant"),
    ("Physcial therapy 2x6", "rehabilitation", None),
    ("Acupunture x 6", "rehabilitation", None),
    # a product name with a one-letter suffix
    ("Senokot-S #60", "pharmaceutical", "gastrointestinal"),
    # combinations and medical foods
    ("Vicoprofen 7.5/200mg #60", "pharmaceutical", "opioid"),
    ("Theramine #120", "pharmaceutical", "other"),
    # an opioid in a compounded cream is a topical; an opioid patch stays an opioid
    ("Tramadol 8%/Gabapentin 10% cream 240g", "pharmaceutical", "topical"),
    ("Butrans 10mcg/hr patch #4", "pharmaceutical", "opioid"),
    # a known drug in none of the schema's classes is "other"
    ("Apixaban 2.5mg #30", "pharmaceutical", "other"),
    # the head decides, not a trailing purpose that names another service
    ("EKG for pre-operative clearance", "diagnostic", None),
    ("Comprehensive metabolic panel prior to surgery", "diagnostic", None),
    ("Thyroid function tests for fatigue", "diagnostic", None),
    ("Referral for aquatic therapy", "evaluation_management", None),
    # home health: help at home of every kind
    ("Homemaker services 4 hours per week", "home_health", None),
    ("Personal care attendant 6 hours a day", "home_health", None),
    ("In-home care 6 hours a day", "home_health", None),
    # operations named by what they release, move or remove
    ("Left De Quervain's release", "surgery", None),
    ("Ulnar nerve transposition at the left elbow", "surgery", None),
    ("Removal of the cervical hardware", "surgery", None),
    ("RFA of the right L3-4 and L4-5 facets", "injection", None),
    # a word that names a kind of drug is not a drug ("opioid" is a MeSH heading, not a product)
    ("UDS for opioid monitoring", "diagnostic", None),
    ("Medrox patches #30", "pharmaceutical", "topical"),
    # a service named before "with" decides; a drug's "with" may name an ingredient
    ("Physical therapy with hot packs and TENS", "rehabilitation", None),
    ("Acupuncture with Lidoderm patch", "rehabilitation", None),
    ("Tylenol with codeine #3 #60", "pharmaceutical", "opioid"),
    # details appended after the name do not decide
    ("CT of the wrist (with 3D reconstruction)", "diagnostic", None),
    ("In-home supportive services; cooking, cleaning", "home_health", None),
    ("Tub transfer bench", "durable_medical_equipment", None),
    ("Back school x 4", "rehabilitation", None),
    ("Pill organizer", "durable_medical_equipment", None),
    # compounded oral suspension kits dispensed in California workers' compensation practice
    ("Synapryn 10mg/1ml oral suspension 500ml", "pharmaceutical", "opioid"),
    ("Tabradol 1mg/ml oral suspension 250ml", "pharmaceutical", "muscle_relaxant"),
    ("Fanatrex 25mg/ml oral suspension 420ml", "pharmaceutical", "anticonvulsant"),
    ("Deprizine 15mg/ml oral suspension 250ml", "pharmaceutical", "gastrointestinal"),
    ("Tylenol #3 #60", "pharmaceutical", "opioid"),
    # a listed drug given as a shot is the drug; an injection into a joint, level or muscle
    # is a procedure
    ("Ketorolac 60mg IM injection", "pharmaceutical", "nsaid"),
    ("B12 injection", "pharmaceutical", "other"),
    ("Cortisone injection to the right shoulder", "injection", None),
    ("Lidocaine injection into the left knee joint", "injection", None),
    # request-form shorthand
    ("Bilat L5-S1 TFESI", "injection", None),
    ("TPI x 3 to the trapezius", "injection", None),
    ("ACDF C5-6", "surgery", None),
    ("FRP x 10 days", "program", None),
    ("Psych testing", "behavioral_mental_health", None),
    ("Ultrasound therapy x 6", "rehabilitation", None),
    ("Hot/cold packs", "durable_medical_equipment", None),
]


@pytest.mark.parametrize(("request_text", "category", "drug_class"), PRACTICE)
def test_requests_as_written_in_practice(request_text: str, category: str, drug_class: str | None) -> None:
    found = classify(request_text)
    assert found is not None and found.category.value == category
    assert (found.drug_class.value if found.drug_class else None) == drug_class


def test_a_class_by_elimination_is_marked_so_a_guideline_topic_can_refine_it() -> None:
    # Atorvastatin is in the drug dictionary and in none of the schema's classes.
    found = classify("Atorvastatin 20mg #30")
    assert found is not None and found.drug_class is not None and found.drug_class.value == "other"
    assert found.residual
    listed = classify("Baclofen 10mg #90")
    assert listed is not None and not listed.residual
