"""FHIR R4 export (issue 12): a patient's conversations as a FHIR R4 (4.0.1) Bundle for their
doctor, one conversation at once or all of them as an ``export`` job."""
