"""Treatment names by rule, from the schema's own examples and plain prescription notation.

The cases come from ../shared/spec/imr-schema.md ("Treatment names") and from the general
ways requests write dose, count and schedule; none is copied from a fixture letter.
"""

from __future__ import annotations

import pytest

from llm_extract.rules.treatment import treatment_name

# One request per lead-in group of vocab/treatment.toml and clause group of vocab/clauses.toml,
# written here from the groups' own comments, so a word lost in moving them would show.
WORD_LIST_CASES = [
    ("Labs to include: CBC", "diagnostic", "CBC"),                                   # colon_label
    ("Prospective request for lumbar MRI", "diagnostic", "Lumbar MRI"),              # timing
    ("Retro: Tramadol 50mg #60", None, "Tramadol"),                                  # short_timing
    ("Request for authorisation of Cervical epidural steroid injection", "injection",
     "Cervical epidural steroid injection"),                                         # authorization
    ("Durable medical equipment: Cane", "durable_medical_equipment", "Cane"),        # label
    ("Dates of service 1/2/2015 - 3/4/2015: Naproxen 550mg #60", None, "Naproxen"),  # date_of_service
    ("Blood work - CMP", "diagnostic", "CMP"),                                       # lab_label
    ("3 tubes of Voltaren gel 1%", None, "Voltaren gel"),                            # container
    ("Decision for Rental of TENS unit", "durable_medical_equipment", "TENS unit"),  # sequence
    ("Third epidural steroid injection", "injection", "Epidural steroid injection"),  # ordinal
    ("Treatments of acupuncture", None, "Acupuncture"),                              # session
    ("Post-op Keflex 500mg #20", None, "Keflex"),                                    # post_op_service (a drug)
    ("Urine drug screen to confirm compliance", "diagnostic", "Urine drug screen"),  # purpose_verb
    ("Cane for home use", "durable_medical_equipment", "Cane"),                      # setting
    ("Home health care with a licensed vocational nurse", None, "Home health care"),  # credential
    ("Knee arthroscopy as an inpatient", "surgery", "Knee arthroscopy"),             # patient_setting
    ("Physical therapy as directed", None, "Physical therapy"),                      # direction
    ("Psychotherapy per the progress reports", None, "Psychotherapy"),               # paper
    ("Home health aide with grooming", None, "Home health aide"),                    # daily_living
    ("TENS unit with garments", "durable_medical_equipment", "TENS unit"),           # accessory
    ("Hospital bed consisting of rails", "durable_medical_equipment", "Hospital bed"),  # introducer
]


@pytest.mark.parametrize("request_text, category, expected", WORD_LIST_CASES)
def test_word_list_lead_ins_and_clauses(request_text: str, category: str | None, expected: str) -> None:
    assert treatment_name(request_text, category) == expected


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
    # "#3" after Tylenol is the product's number (codeine 30 mg), not a count: a brand as written
    ("Tylenol with codeine #3, 1 tab twice daily #60", None, "Tylenol with codeine #3"),
    ("Tylenol #4 #30", None, "Tylenol #4"),
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
    # a strength without a unit still ends a drug's name once the drug is known
    ("Percocet 5/325 (quantity unknown)", "pharmaceutical", "Percocet"),
    # lead-ins stack with "Post-op" in front of a drug, and a date of service can lead
    ("Associated surgical service: Post-operative Oxycodone 5mg #40", None, "Oxycodone"),
    ("Retrospective DOS 3/4/15: Naproxen 550mg #60", None, "Naproxen"),
    # a release form after the strength stays; an orally disintegrating tablet is a form
    ("Nexium 40mg DR capsules #30", None, "Nexium DR"),
    ("Zofran ODT 4mg #10", None, "Zofran"),
    ("Diclofenac 1.5% topical solution 150ml", None, "Diclofenac topical solution"),
    ("Menthol 5%/Methyl salicylate 15% cream 120gm", None, "Menthol/Methyl salicylate cream"),
    # counts written in words and digits, counts per period, hours and trials
    ("Chiropractic manipulation six (6) sessions", "rehabilitation", "Chiropractic manipulation"),
    ("Occupational therapy x8 visits", "rehabilitation", "Occupational therapy"),
    ("Continued aquatic therapy (8) sessions", "rehabilitation", "Aquatic therapy"),
    ("Urine toxicology screen x 2 per year", "diagnostic", "Urine toxicology screen"),
    ("Work hardening program 40 hours", "rehabilitation", "Work hardening program"),
    ("Home health aide 4 hours per day x 5 days a week", "home_health", "Home health aide"),
    ("Interferential unit 30 day trial", "durable_medical_equipment", "Interferential unit"),
    ("X-rays of the left ankle 3 views", "diagnostic", "X-rays of the left ankle"),
    # an injection's drug doses and volumes go
    ("Injection 2cc of Kenalog 40mg to the left shoulder", "injection", "Injection of Kenalog to the left shoulder"),
    # a request that continues the one before it loses the joining word
    ("and left knee arthroscopy", "surgery", "Left knee arthroscopy"),
    # a specialist is not a body part; a consultation's purpose clause goes, a bare one stays
    ("Referral to hand surgeon", "evaluation_management", "Referral to hand surgeon"),
    ("Consultation with a spine surgeon to evaluate for lumbar fusion", "evaluation_management",
     "Consultation with a spine surgeon"),
    ("Referral to pain management for evaluation of injections", "evaluation_management",
     "Referral to pain management"),
    ("Referral for aquatic therapy", "evaluation_management", "Referral for aquatic therapy"),
    # a trailing purpose, provider, setting or timing clause is not the name
    ("Urine toxicology screen to monitor medication compliance", "diagnostic", "Urine toxicology screen"),
    ("CT of the head to rule out a bleed", "diagnostic", "CT of the head"),
    ("MRI for the cervical spine", "diagnostic", "MRI for the cervical spine"),  # a body part is not a purpose
    ("X-ray of the chest, pre-operative", "diagnostic", "X-ray of the chest"),
    ("Home health aide 4 hours a day for help with bathing", "home_health", "Home health aide"),
    ("Nursing care by a licensed vocational nurse", "home_health", "Nursing care"),
    ("Skilled nursing visits x 6 for wound care", "home_health", "Skilled nursing"),
    ("Physical therapy in the clinic 2x4", "rehabilitation", "Physical therapy"),
    ("Massage therapy for muscle spasm", "rehabilitation", "Massage therapy"),
    ("Lumbar support brace for home use", "durable_medical_equipment", "Lumbar support brace"),
    ("Wrist brace for the left wrist", "durable_medical_equipment", "Wrist brace"),
    ("Hot/cold unit with wrap and pads, 14 day rental", "durable_medical_equipment", "Hot/cold unit"),
    ("TENS unit supplies (electrodes) x 2 months", "durable_medical_equipment", "TENS unit supplies"),
    ("Transportation to and from medical appointments, round trip", "home_health",
     "Transportation to and from medical appointments"),
    # how the letters themselves add who asked, where, when and under which report
    ("MRI of the left knee without contrast as an outpatient", "diagnostic", "MRI of the left knee"),
    ("Lumbar fusion at L4-5 as recommended by the spine surgeon", "surgery", "Lumbar fusion at L4-5"),
    ("Cervical x-rays per the 2/3/15 progress report", "diagnostic", "Cervical x-rays"),
    ("Urine drug screen as part of opioid monitoring", "diagnostic", "Urine drug screen"),
    ("Nerve conduction study of the right arm between 1/5/2015 and 2/20/2015", "diagnostic",
     "Nerve conduction study of the right arm"),
    ("Occupational therapy to include paraffin and therapeutic exercise", "rehabilitation", "Occupational therapy"),
    ("Additional 20 days of a chronic pain program", "program", "Chronic pain program"),
    # details appended after a dash, colon or semicolon, components, a closing parenthesis of
    # details, and how long or how often in words
    ("Home health aide - 6 hrs/day, 3 days/wk", "home_health", "Home health aide"),
    ("CT of the cervical spine: evaluate for fusion", "diagnostic", "CT of the cervical spine"),
    ("Home attendant care; meals, laundry, errands", "home_health", "Home attendant care"),
    ("Occupational therapy consisting of hand exercises and splinting", "rehabilitation", "Occupational therapy"),
    ("Walker (front-wheeled, folding)", "durable_medical_equipment", "Walker"),
    ("Sleep study (polysomnography)", "diagnostic", "Sleep study (polysomnography)"),  # its other name
    ("Pre-op labs (CBC, CMP)", "diagnostic", "Pre-op labs (CBC, CMP)"),  # the tests it names
    ("Home health care PRN, ongoing", "home_health", "Home health care"),
    ("Massage therapy until further notice", "rehabilitation", "Massage therapy"),
    ("Home care through 6/30/15", "home_health", "Home care"),
    ("Lab work: lipid panel", "diagnostic", "Lipid panel"),
    # counts and rentals in front, and equipment whose name opens with a schedule word
    ("1 month rental of an interferential unit", "durable_medical_equipment", "Interferential unit"),
    ("Two views x-ray of the right ankle", "diagnostic", "X-ray of the right ankle"),
    ("1 pair of compression stockings, 20-30 mmHg", "durable_medical_equipment", "Compression stockings"),
    ("Weekly pill organizer", "durable_medical_equipment", "Weekly pill organizer"),
    ("Monthly follow-up visits x 6", "evaluation_management", "Follow-up visits"),
    ("Biofreeze gel 3 oz", None, "Biofreeze gel"),
    # "(unknown strength and quantity)" and its kin; a date of service in front; "Decision for"
    ("Oxycodone (unknown strength and quantity)", None, "Oxycodone"),
    ("Meloxicam (dosage and quantity unknown)", None, "Meloxicam"),
    ("Retrospective (DOS: 4/5/2015) Ibuprofen 800mg #60", None, "Ibuprofen"),
    ("MRI of the left hip quantity: 1.00", "diagnostic", "MRI of the left hip"),
    # two drugs in one request are both named; a compound's "and" is still one compound
    ("Norco 10/325mg #60 and Soma 350mg #30", None, "Norco and Soma"),
    ("Flurbiprofen 20% and Lidocaine 5% cream 120g", None, "Flurbiprofen/Lidocaine cream"),
    # two different therapies stay; one therapy counted twice is one
    ("Physical therapy and occupational therapy for the right hand x 8", "rehabilitation",
     "Physical therapy and occupational therapy"),
    # request-form shorthand: labels, CPT codes, units, body-part abbreviations, E/M levels
    ("Request: Massage therapy x 6", "rehabilitation", "Massage therapy"),
    ("Rx: Baclofen 10mg #60", None, "Baclofen"),
    ("Manual therapy (97140) x 3 units", "rehabilitation", "Manual therapy"),
    ("Physical therapy 2 x 6 weeks, L-spine", "rehabilitation", "Physical therapy"),
    ("Office visit, established patient, level 3", "evaluation_management", "Office visit"),
    ("CT of the right knee s/p fall", "diagnostic", "CT of the right knee"),
    # a drug given as a shot keeps the word "injection"
    ("Toradol 60mg IM injection", "pharmaceutical", "Toradol injection"),
    ("Vitamin B12 1000mcg injection", "pharmaceutical", "Vitamin B12 injection"),
    # how often, how sampled and at what field strength are not the service's name
    ("Polysomnogram once", "diagnostic", "Polysomnogram"),
    ("Urine toxicology screen, random", "diagnostic", "Urine toxicology screen"),
    ("Random urine drug screens 4 times a year", "diagnostic", "Random urine drug screens"),
    ("MRI of the right hip, 3 Tesla", "diagnostic", "MRI of the right hip"),
    ("Cognitive behavioral therapy sessions, 8", "behavioral_mental_health", "Cognitive behavioral therapy"),
    # a comma after a spinal level is not a count
    ("Anterior cervical discectomy and fusion at C5-6, 7", "surgery",
     "Anterior cervical discectomy and fusion at C5-6, 7"),
    # what an aide helps with goes, as "to assist with ..." does; a nursing service stays
    ("Home care aide with dressing and meal preparation 3 hours a day", "home_health", "Home care aide"),
    ("Home health aide assistance with ADLs", "home_health", "Home health aide assistance"),
    ("Home health care with wound care", "home_health", "Home health care with wound care"),
]


@pytest.mark.parametrize(("request_text", "category", "want"), CASES)
def test_treatment_name(request_text: str, category: str | None, want: str) -> None:
    assert treatment_name(request_text, category) == want
