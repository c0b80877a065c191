"""Chinese text tools with no knowledge of Telegram or storage: one normal form for matching,
jieba segmentation, relative dates, extractive summaries and the section classifier."""
