"""One way to write dates per language (FORMAT_MODULE_PATH): pages, emails and messages use the
SHORT_* formats. Russian as Russians write it (29.10.2026 14:05); English unambiguously for
readers on either side of the Atlantic (29 Oct 2026 14:05), not Django's 10/29/2026 2:05 p.m."""
