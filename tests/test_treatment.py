"""Treatment names by rule, from the schema's own examples and plain prescription notation.

The cases come from ../shared/spec/imr-schema.md ("Treatment names") and from the general
ways requests write dose, count and schedule; none is copied from a fixture letter.
"""

from __future__ import annotations

import pytest

from llm_extract.rules.treatment import treatment_name

CASES = [
    # drugs: strength, quantity, dosage form and directions go; brand, salt, release form stay
    ("Baclofen 10mg #90", None, "Baclofen"),
    ("Norco 10/325mg #120", None, "Norco"),
    ("Tramadol ER 150mg #30", None, "Tramadol ER"),
    ("Ultram 50 mg tabs #60", None, "Ultram"),
    ("Omeprazole 20 mg oral tablet, 1 by mouth daily", None, "Omeprazole"),
    ("Gabapentin 600mg, QTY: 90 with 2 refills", None, "Gabapentin"),
    ("Cyclobenzaprine HCl 7.5mg #60", None, "Cyclobenzaprine HCl"),
    ("Retrospective Naproxen sodium 550mg #60 (DOS 01/05/2016)", None, "Naproxen sodium"),
    ("Tylenol with codeine #3, 1 tab twice daily #60", None, "Tylenol with codeine"),
    # topicals keep the form; a compound keeps its ingredients without percentages
    ("Ketoprofen 20% cream 120g", None, "Ketoprofen cream"),
    ("Flurbiprofen 20%/Lidocaine 5% cream 180gm", None, "Flurbiprofen/Lidocaine cream"),
    ("Terocin patch #30", None, "Terocin patch"),
    ("Lidoderm 5% patches #30", None, "Lidoderm patches"),
    # services: count, schedule, contrast and lead-ins go
    ("MRI of the right shoulder without contrast", "diagnostic", "MRI of the right shoulder"),
    ("MRI of the lumbar spine with and without contrast", "diagnostic", "MRI of the lumbar spine"),
    ("Lumbar epidural steroid injection at L4-L5 under fluoroscopy", "injection",
     "Lumbar epidural steroid injection at L4-L5"),
    ("Physical therapy 2x6 for the lumbar spine", "rehabilitation", "Physical therapy"),
    ("Physical therapy 3 times a week for 4 weeks, right knee", "rehabilitation", "Physical therapy"),
    ("12 sessions of aquatic therapy", "rehabilitation", "Aquatic therapy"),
    ("Initial acupuncture x 6 sessions", "rehabilitation", "Acupuncture"),
    ("Additional chiropractic treatment once weekly for 6 weeks", "rehabilitation", "Chiropractic treatment"),
    ("Post operative physical therapy 12 visits", "rehabilitation", "Post operative physical therapy"),
    ("Retrospective: Urine drug screen (DOS 1/5/2016)", "diagnostic", "Urine drug screen"),
    ("Associated surgical service: Cold therapy unit, 7 day rental", "durable_medical_equipment",
     "Cold therapy unit"),
    ("Purchase of a lumbar brace", "durable_medical_equipment", "Lumbar brace"),
    ("Bilateral wrist braces", "durable_medical_equipment", "Wrist braces"),
    ("Home health care 4 hours a day, 5 days a week for 6 weeks", "home_health", "Home health care"),
    ("Follow-up visit with pain management for the lumbar spine", "evaluation_management",
     "Follow-up visit with pain management"),
    ("Orthopedic consultation for the left knee", "evaluation_management", "Orthopedic consultation"),
    ("Functional capacity evaluation", "evaluation_management", "Functional capacity evaluation"),
    ("Right knee arthroscopy with partial medial meniscectomy", "surgery",
     "Right knee arthroscopy with partial medial meniscectomy"),
    ("Tramadol 50mg 1-2 tabs every 6 hours as needed #120", None, "Tramadol"),
    ("Zolpidem 10mg at bedtime #30", None, "Zolpidem"),
    ("Duloxetine (Cymbalta) 60mg #30", None, "Duloxetine (Cymbalta)"),
    ("Voltaren 1% gel 100g", None, "Voltaren gel"),
    ("Trigger point injections x 4", "injection", "Trigger point injections"),
    ("Cervical epidural steroid injection at C5-6 with fluoroscopic guidance", "injection",
     "Cervical epidural steroid injection at C5-6"),
    ("Gym membership for 6 months", "other", "Gym membership"),
    ("Functional restoration program x 80 hours", "program", "Functional restoration program"),
    ("Psychotherapy sessions x 6", "behavioral_mental_health", "Psychotherapy"),
    ("Chiropractic care 2x4", "rehabilitation", "Chiropractic care"),
    ("Occupational therapy 8 visits for the right hand", "rehabilitation", "Occupational therapy"),
    ("TENS unit purchase", "durable_medical_equipment", "TENS unit"),
    ("Prospective request for acupuncture, 6 visits", "rehabilitation", "Acupuncture"),
    ("Request for authorization of a cervical pillow", "durable_medical_equipment", "Cervical pillow"),
    ("Aquatic therapy (quantity unknown)", "rehabilitation", "Aquatic therapy"),
    ("Massage therapy times two (2)", "rehabilitation", "Massage therapy"),
    ("Urine drug screen (dates of service 01/04/2016 to 02/04/2016)", "diagnostic", "Urine drug screen"),
    ("Knee brace, QTY: 1.00", "durable_medical_equipment", "Knee brace"),
]


@pytest.mark.parametrize(("request_text", "category", "want"), CASES)
def test_treatment_name(request_text: str, category: str | None, want: str) -> None:
    assert treatment_name(request_text, category) == want
